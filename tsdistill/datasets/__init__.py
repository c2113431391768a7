# Copyright (c) tsdistill authors. All rights reserved.
"""The registered dataset and transforms: what a config's data reads."""
from . import transforms  # noqa: F401
from .video_dataset import (BrokenVideoReportHook, CheckedVideoDataset,
                            VideoDecodeError, is_decode_error)

__all__ = [
    'BrokenVideoReportHook', 'CheckedVideoDataset', 'VideoDecodeError',
    'is_decode_error'
]
