# Copyright (c) tsdistill authors. All rights reserved.
"""Losses: the distillation terms ``lambda * d(F_s, F_t)`` of M3."""
from .base import FEATURE_KINDS, BaseDistillLoss
from .feature_mse import FEATURE_NORMS, FeatureMSELoss, normalize_feature

__all__ = [
    'BaseDistillLoss', 'FEATURE_KINDS', 'FEATURE_NORMS', 'FeatureMSELoss',
    'normalize_feature'
]
