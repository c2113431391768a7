# Copyright (c) tsdistill authors. All rights reserved.
"""Losses: the distillation terms ``lambda * d(F_s, F_t)`` of M3."""
from .attention_transfer import AttentionTransferLoss, attention_map
from .base import FEATURE_KINDS, BaseDistillLoss
from .feature_mse import (FEATURE_NORMS, FeatureMSELoss, PooledFeatureMSELoss,
                          normalize_feature)
from .fitnets import FitNetsLoss
from .logit_kd import LogitKDLoss

__all__ = [
    'AttentionTransferLoss', 'BaseDistillLoss', 'FEATURE_KINDS',
    'FEATURE_NORMS', 'FeatureMSELoss', 'FitNetsLoss', 'LogitKDLoss',
    'PooledFeatureMSELoss', 'attention_map', 'normalize_feature'
]
