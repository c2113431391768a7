# Copyright (c) tsdistill authors. All rights reserved.
"""Recognizers: the flow teacher (M1 + M2), the student (M3), two-stream,
early fusion."""
from .checkpoint import (export_student_checkpoint, fuse_two_stream_checkpoint,
                         load_checkpoint_strict, strip_training_only_keys)
from .distill_recognizer import DistillRecognizer3D, DistillTerm
from .early_fusion import EarlyFusionRecognizer3D
from .feature_alignment import align_features
from .features import FeatureRecorder, resnet3d_stage_outputs
from .flow_recognizer import FlowRecognizer3D
from .loss_schedule import LossSchedule
from .teacher import build_teacher
from .two_stream import TwoStreamRecognizer3D

__all__ = [
    'DistillRecognizer3D', 'DistillTerm', 'EarlyFusionRecognizer3D',
    'FeatureRecorder', 'FlowRecognizer3D', 'LossSchedule',
    'TwoStreamRecognizer3D', 'align_features', 'build_teacher',
    'export_student_checkpoint', 'fuse_two_stream_checkpoint',
    'load_checkpoint_strict', 'resnet3d_stage_outputs',
    'strip_training_only_keys'
]
