# Copyright (c) tsdistill authors. All rights reserved.
"""Knowledge distillation on class scores (soft targets).

Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural Network",
NIPS 2014 Deep Learning Workshop (arXiv:1503.02531, 2015): the student (M3)
matches the softened class distribution of the flow teacher (M1 + M2).
"""
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor

from .base import BaseDistillLoss


@MODELS.register_module()
class LogitKDLoss(BaseDistillLoss):
    """``lambda * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))`` (Hinton).

    ``z_s`` are the student's (M3) class scores before softmax (the ones
    its CE sees), ``z_t`` the teacher's (M1 + M2) from its own head; the KL
    divergence is summed over classes and averaged over the batch
    (``batchmean``); ``T^2`` keeps the gradient scale independent of the
    temperature ``T``. ``lambda`` = ``loss_weight``. Student and teacher
    need the same classes.

    Args:
        temperature (float): ``T``. Defaults to ``4.0``.
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` and
            ``teacher_channels`` (numbers of classes) of
            :class:`BaseDistillLoss`.
    """

    default_pairs = (('logits', 'logits'), )
    log_name = 'kd'
    accepts = ('logits', )

    def __init__(self, temperature: float = 4.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.temperature = self.positive('temperature', temperature)

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``T^2 * KL(p_t || p_s)``, ``batchmean``.

        Args:
            student (Tensor): ``(N, num_classes)`` student scores ``z_s``.
            teacher (Tensor): ``(N, num_classes)`` teacher scores ``z_t``;
                detached.

        Returns:
            Tensor: Scalar.
        """
        if student.shape != teacher.shape or student.dim() != 2:
            raise ValueError('student and teacher scores must both be '
                             '(N, num_classes), got '
                             f'{tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        t = self.temperature
        log_p_student = F.log_softmax(student / t, dim=1)
        p_teacher = F.softmax(teacher.detach().to(student.dtype) / t, dim=1)
        # T^2 * sum_c p_t (log p_t - log p_s), averaged over the batch
        return t * t * F.kl_div(
            log_p_student, p_teacher, reduction='batchmean')

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, temperature={self.temperature}'
