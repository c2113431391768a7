# Copyright (c) tsdistill authors. All rights reserved.
"""FitNets hints: the student's features regressed onto the teacher's.

Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, applied to
the 3D maps of the student (M3) and the flow teacher (M1 + M2).
"""
import math

import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor, nn

from ...utils import validation
from .base import BaseDistillLoss


@MODELS.register_module()
class FitNetsLoss(BaseDistillLoss):
    """``lambda * MSE(r(F_rgb), F_flow)``: a FitNets hint (Romero 2015).

    ``r`` is a trainable 1x1x1 convolution (the "regressor", here
    :attr:`connector`) from the student's (M3) channels to the teacher's
    (M1 + M2), built at construction from ``student_channels`` and
    ``teacher_channels`` (filled in by :class:`DistillRecognizer3D`), so
    the optimizer, DDP and checkpoints see it from the start. It belongs to
    the student's training: only the projection ``r(F_rgb)`` has to match
    the flow features, so the directions of ``F_rgb`` that ``r`` discards
    stay free to keep appearance. With ``hint_fraction < 1``, ``r`` reads
    only the first ``ceil(hint_fraction * C_s)`` channels of ``F_rgb``: the
    others get no gradient from the hint at all, a reserve for what the
    flow teacher cannot see. ``lambda`` = ``loss_weight``; ``d`` is the
    mean over elements (the paper: half the sum of squares). FitNets train
    the hint in a first stage of its own; ``loss_schedule=dict(
    distill_only=N)`` of the recognizer gives that stage. The connector's
    weights appear as ``loss_distill.<i>.connector.*`` in the student's
    checkpoint; ``tools/misc/export_student.py`` strips them.

    Args:
        hint_fraction (float): Fraction of ``F_rgb``'s channels (the first
            ones) that ``r`` reads, in ``(0, 1]``. Defaults to ``1.0``.
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` and
            ``teacher_channels`` of :class:`BaseDistillLoss`: the channels
            of ``F_rgb`` and ``F_flow``, required here.
    """

    default_pairs = (('layer3', 'layer3'), )
    log_name = 'fitnets'
    accepts = ('map', 'pooled')
    same_channels = False

    def __init__(self, hint_fraction: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        student_channels = self.student_channels
        teacher_channels = self.teacher_channels
        if student_channels is None or teacher_channels is None:
            raise ValueError('FitNetsLoss needs student_channels and '
                             'teacher_channels to build its connector '
                             '(DistillRecognizer3D fills them in)')
        if not 0 < validation.real_number('hint_fraction', hint_fraction) <= 1:
            raise ValueError('FitNetsLoss: hint_fraction must be in (0, 1], '
                             f'got {hint_fraction}')
        #: channels of F_rgb the connector reads (the first ones)
        self.hint_channels = math.ceil(hint_fraction * student_channels)
        # r: C_hint -> C_teacher at every position
        self.connector = nn.Conv3d(
            self.hint_channels, teacher_channels, kernel_size=1)

    def regress(self, student: Tensor) -> Tensor:
        """``r(F_rgb)``: ``(N, C_s[, T, H, W]) -> (N, C_t[, T, H, W])``."""
        student = student[:, :self.hint_channels]
        if student.dim() == 2:  # pooled features
            return self.connector(student[:, :, None, None, None]).flatten(1)
        return self.connector(student)

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``MSE(r(F_rgb), F_flow)``, mean over all elements.

        Args:
            student (Tensor): ``(N, C_s, T, H, W)`` or ``(N, C_s)``.
            teacher (Tensor): ``(N, C_t, T, H, W)`` or ``(N, C_t)``;
                detached.

        Returns:
            Tensor: Scalar.
        """
        regressed = self.regress(student)
        if regressed.shape != teacher.shape:
            raise ValueError('the regressed student feature and the teacher '
                             'feature must have the same shape, got '
                             f'{tuple(regressed.shape)} and '
                             f'{tuple(teacher.shape)}')
        return F.mse_loss(regressed, teacher.detach().to(regressed.dtype))
