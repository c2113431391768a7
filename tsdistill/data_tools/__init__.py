# Copyright (c) tsdistill authors. All rights reserved.
"""The data tools: what prepares the data a config reads.

HMDB51's annotation lists (``tools/data/hmdb51/prepare_annotations.py``),
the embedded dataset in HMDB51's layout
(``tools/data/synthetic/generate_motion_dataset.py``) and M1's flow and
the RGB frames as mmaction2's rawframes (``tools/extract_flow.py``).
"""
from .flow_extraction import extract_flow
from .hmdb51_annotations import (AnnotationIssue, HMDB51AnnotationError,
                                 PrepareSummary, annotate_data,
                                 count_flow_frames, count_video_frames,
                                 prepare_annotations, read_split_file,
                                 set_annotations)
from .synthetic_motion import (COLOURS, DEFAULT_CLASSES, MODES, MOTIONS,
                               class_names, embedded_data_root,
                               generate_motion_dataset, prepare_embedded_data,
                               render_video)

__all__ = [
    'AnnotationIssue', 'COLOURS', 'DEFAULT_CLASSES', 'HMDB51AnnotationError',
    'MODES', 'MOTIONS', 'PrepareSummary', 'annotate_data', 'class_names',
    'count_flow_frames', 'count_video_frames', 'embedded_data_root',
    'extract_flow', 'generate_motion_dataset', 'prepare_annotations',
    'prepare_embedded_data', 'read_split_file', 'render_video',
    'set_annotations'
]
