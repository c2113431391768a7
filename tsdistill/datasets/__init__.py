# Copyright (c) tsdistill authors. All rights reserved.
"""Datasets, transforms and the embedded synthetic motion data."""
from . import transforms  # noqa: F401
from .hmdb51 import (AnnotationIssue, HMDB51AnnotationError,
                     prepare_annotations, read_split_file)
from .synthetic_motion import DEFAULT_CLASSES, generate_motion_dataset
from .video_dataset import (BrokenVideoReportHook, CheckedVideoDataset,
                            VideoDecodeError)

__all__ = [
    'AnnotationIssue', 'BrokenVideoReportHook', 'CheckedVideoDataset',
    'DEFAULT_CLASSES', 'HMDB51AnnotationError', 'VideoDecodeError',
    'generate_motion_dataset', 'prepare_annotations', 'read_split_file'
]
