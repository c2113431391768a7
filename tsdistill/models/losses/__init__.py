# Copyright (c) tsdistill authors. All rights reserved.
"""Losses: the feature-matching term ``lambda * MSE`` of M3."""
from .feature_mse import (FEATURE_NORMS, FeatureMSELoss, feature_mse,
                          normalize_feature)

__all__ = [
    'FEATURE_NORMS', 'FeatureMSELoss', 'feature_mse', 'normalize_feature'
]
