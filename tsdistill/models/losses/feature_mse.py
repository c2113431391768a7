# Copyright (c) tsdistill authors. All rights reserved.
"""The feature-matching term of the student loss (M3).

``L = CE(y_hat, y) + lambda * MSE(F_rgb, F_flow)``: this file holds the MSE
part, with the optional feature normalisation applied to both sides first.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor, nn

FEATURE_NORMS = (None, 'channel', 'layer')


def normalize_feature(feat: Tensor, feature_norm: Optional[str]) -> Tensor:
    """Normalise a feature before it enters the MSE.

    Args:
        feat (Tensor): ``(N, C)`` pooled or ``(N, C, T, H, W)`` map.
        feature_norm (str, optional): ``None`` (raw features), ``'channel'``
            (L2-normalise the C-vector at every position, so only
            directions are matched) or ``'layer'`` (standardise each sample
            over all its non-batch dimensions, like a LayerNorm without
            affine parameters, so the scale of the teacher is ignored).

    Returns:
        Tensor: Same shape as ``feat``.
    """
    if feature_norm is None:
        return feat
    if feature_norm == 'channel':
        return F.normalize(feat, dim=1)
    if feature_norm == 'layer':
        return F.layer_norm(feat, feat.shape[1:])
    raise ValueError(f'feature_norm must be one of {FEATURE_NORMS}, '
                     f'got {feature_norm!r}')


def feature_mse(student: Tensor,
                teacher: Tensor,
                feature_norm: Optional[str] = None) -> Tensor:
    """Mean squared error between student and (detached) teacher features.

    Args:
        student (Tensor): Student feature ``F_rgb``, any shape.
        teacher (Tensor): Teacher feature ``F_flow``, same shape. It is a
            target: no gradient flows into it.
        feature_norm (str, optional): See :func:`normalize_feature`.
            Defaults to ``None``.

    Returns:
        Tensor: Scalar, mean over all elements.
    """
    if student.shape != teacher.shape:
        raise ValueError('student and teacher features must have the same '
                         f'shape, got {tuple(student.shape)} and '
                         f'{tuple(teacher.shape)}')
    student = normalize_feature(student, feature_norm)
    teacher = normalize_feature(teacher.detach(), feature_norm)
    return F.mse_loss(student, teacher.to(student.dtype))


@MODELS.register_module()
class FeatureMSELoss(nn.Module):
    """``lambda * MSE(F_rgb, F_flow)``, the distillation term of M3.

    Args:
        loss_weight (float): ``lambda``. Defaults to ``1.0``.
        feature_norm (str, optional): See :func:`normalize_feature`.
            Defaults to ``None``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 feature_norm: Optional[str] = None) -> None:
        super().__init__()
        if feature_norm not in FEATURE_NORMS:
            raise ValueError(f'feature_norm must be one of {FEATURE_NORMS}, '
                             f'got {feature_norm!r}')
        self.loss_weight = loss_weight
        self.feature_norm = feature_norm

    def forward(self, student: Tensor, teacher: Tensor) -> torch.Tensor:
        """Weighted MSE; see :func:`feature_mse`."""
        return self.loss_weight * feature_mse(student, teacher,
                                              self.feature_norm)
