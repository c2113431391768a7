# Copyright (c) tsdistill authors. All rights reserved.
"""The feature-matching MSE terms of the student loss (M3).

``L = CE(y_hat, y) + lambda * MSE(F_rgb, F_flow)``: the paper's MSE on
feature maps (:class:`FeatureMSELoss`, with an optional normalisation of
both sides) and MARS's MSE on globally pooled features
(:class:`PooledFeatureMSELoss`).
"""
from typing import Optional

import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor

from .base import BaseDistillLoss

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


@MODELS.register_module()
class FeatureMSELoss(BaseDistillLoss):
    """``lambda * MSE(F_rgb, F_flow)``, the paper's distillation term.

    The student M3 matches the frozen flow teacher's (M1 + M2) feature
    maps: ``mean((F_rgb - F_flow)^2)`` over all elements, ``lambda`` =
    ``loss_weight``. The default pair is the stage-3 maps, chosen by a
    calibration run on motion-only synthetic clips (8 classes, 16x48x48
    clips, a tiny 4-stage 3D CNN, 30 epochs, one seed): stage-3 maps at
    lambda 10 gave the student 47.7 % top-1, the pooled last stage at
    lambda 50 (MARS) 8.6 %, RGB alone 22.7 %.
    docs/results/distillation_ablations.md has the current ablation.
    Student and teacher need
    equal channels.

    Args:
        feature_norm (str, optional): See :func:`normalize_feature`.
            Defaults to ``None``.
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` and
            ``teacher_channels`` of :class:`BaseDistillLoss`.
    """

    default_pairs = (('layer3', 'layer3'), )
    log_name = 'mse'

    def __init__(self, feature_norm: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if feature_norm not in FEATURE_NORMS:
            raise ValueError(f'feature_norm must be one of {FEATURE_NORMS}, '
                             f'got {feature_norm!r}')
        self.feature_norm = feature_norm

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``MSE(norm(F_rgb), norm(F_flow))``, mean over all elements.

        Args:
            student (Tensor): ``F_rgb``, any shape.
            teacher (Tensor): ``F_flow``, same shape; detached.

        Returns:
            Tensor: Scalar.
        """
        if student.shape != teacher.shape:
            raise ValueError('student and teacher features must have the '
                             f'same shape, got {tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        student = normalize_feature(student, self.feature_norm)
        teacher = normalize_feature(teacher.detach(), self.feature_norm)
        return F.mse_loss(student, teacher.to(student.dtype))

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, feature_norm={self.feature_norm!r}'


@MODELS.register_module()
class PooledFeatureMSELoss(FeatureMSELoss):
    """``lambda * MSE(pool(F_rgb), pool(F_flow))``, the MARS term.

    MARS (Crasto et al., "MARS: Motion-Augmented RGB Stream for Action
    Recognition", CVPR 2019) matches the globally averaged last-stage
    features of the RGB student (M3) and the flow teacher (M1 + M2), their
    published commands with ``alpha`` (``lambda``) = 50. Maps
    ``(N, C, T, H, W)`` are averaged over ``(T, H, W)`` first, so a map
    pair such as ``('layer3', 'layer3')`` matches pooled stage-3 features;
    the default pair ``('pooled', 'pooled')`` comes pooled already.

    Args:
        feature_norm (str, optional): See :func:`normalize_feature`, applied
            after pooling. Defaults to ``None``.
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` and
            ``teacher_channels`` of :class:`BaseDistillLoss`.
    """

    default_pairs = (('pooled', 'pooled'), )
    log_name = 'pooled_mse'
    accepts = ('map', 'pooled')

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """MSE of the ``(N, C)`` features; maps are averaged first."""
        if student.dim() == 5:
            student = student.mean(dim=(2, 3, 4))
        if teacher.dim() == 5:
            teacher = teacher.mean(dim=(2, 3, 4))
        return super().distance(student, teacher)
