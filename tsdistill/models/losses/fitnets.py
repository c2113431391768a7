# Copyright (c) tsdistill authors. All rights reserved.
"""FitNets hints: the student's features regressed onto the teacher's.

Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, applied to
the 3D maps of the student (M3) and the flow teacher (M1 + M2).
"""
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor

from .base import BaseDistillLoss


@MODELS.register_module()
class FitNetsLoss(BaseDistillLoss):
    """``lambda * MSE(r(F_rgb), F_flow)``: a FitNets hint (Romero 2015).

    ``r`` is the trainable "regressor" from the student's (M3) channels to
    the teacher's (M1 + M2), a
    :class:`~tsdistill.models.connectors.ConvConnector` that
    :class:`DistillRecognizer3D` builds for the term (its ``connectors``,
    checkpointed as ``connectors.*``, which
    ``tools/misc/export_student.py`` strips); the term's ``hint_fraction``
    is the connector's: ``r`` reads only the first ``ceil(hint_fraction *
    C_s)`` channels of ``F_rgb``. The distance is the mean over elements
    of ``(r(F_rgb) - F_flow)^2`` (the paper: half the sum of squares);
    ``lambda`` = ``loss_weight``. FitNets train the hint in a first stage
    of its own; ``loss_schedule=dict(distill_only=N)`` of the recognizer
    gives that stage.

    Args:
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` (of
            ``r(F_rgb)``, the teacher's) and ``teacher_channels`` of
            :class:`BaseDistillLoss`.
    """

    default_pairs = (('layer3', 'layer3'), )
    log_name = 'fitnets'
    accepts = ('map', 'pooled')
    connector = dict(type='ConvConnector')
    connector_args = ('hint_fraction', )

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``MSE(r(F_rgb), F_flow)``, mean over all elements.

        Args:
            student (Tensor): ``r(F_rgb)``, ``(N, C_t, T, H, W)`` or
                ``(N, C_t)``.
            teacher (Tensor): ``F_flow``, the same shape; detached.

        Returns:
            Tensor: Scalar.
        """
        if student.shape != teacher.shape:
            raise ValueError('the regressed student feature and the teacher '
                             'feature must have the same shape, got '
                             f'{tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        return F.mse_loss(student, teacher.detach().to(student.dtype))
