# Copyright (c) tsdistill authors. All rights reserved.
"""Datasets, transforms and the embedded synthetic motion data."""
from . import transforms  # noqa: F401
from .hmdb51_annotations import (AnnotationIssue, HMDB51AnnotationError,
                                 PrepareSummary, count_flow_frames,
                                 count_video_frames, prepare_annotations,
                                 read_split_file)
from .synthetic_motion import (COLOURS, DEFAULT_CLASSES, MODES, MOTIONS,
                               class_names, generate_motion_dataset,
                               render_video)
from .video_dataset import (BrokenVideoReportHook, CheckedVideoDataset,
                            VideoDecodeError, is_decode_error)

__all__ = [
    'AnnotationIssue', 'BrokenVideoReportHook', 'CheckedVideoDataset',
    'COLOURS', 'DEFAULT_CLASSES', 'MODES', 'class_names',
    'HMDB51AnnotationError', 'MOTIONS', 'PrepareSummary', 'VideoDecodeError',
    'count_flow_frames', 'count_video_frames', 'generate_motion_dataset',
    'is_decode_error', 'prepare_annotations', 'read_split_file', 'render_video'
]
