# Copyright (c) tsdistill authors. All rights reserved.
"""Attention transfer: match where the features are strong, not their values.

Zagoruyko and Komodakis, "Paying More Attention to Attention: Improving the
Performance of Convolutional Neural Networks via Attention Transfer", ICLR
2017, applied to the 3D maps of the student (M3) and the flow teacher
(M1 + M2).
"""
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor

from .base import BaseDistillLoss


def attention_map(feat: Tensor, p: float = 2.0) -> Tensor:
    """Spatio-temporal attention of a feature map, L2-normalised.

    ``Q = vec(mean_c |F_c|^p) / ||vec(mean_c |F_c|^p)||_2``.

    Args:
        feat (Tensor): ``(N, C, T, H, W)`` map.
        p (float): Exponent. Defaults to ``2.0``.

    Returns:
        Tensor: ``(N, T * H * W)``, unit L2 norm per sample.
    """
    return F.normalize(feat.abs().pow(p).mean(dim=1).flatten(1), dim=1)


@MODELS.register_module()
class AttentionTransferLoss(BaseDistillLoss):
    """``lambda * AT(F_rgb, F_flow)``: attention transfer (Zagoruyko 2017).

    The student (M3) matches the teacher's (M1 + M2) attention maps
    :func:`attention_map` ``Q`` (mean over channels of ``|F|^p``, flattened
    over ``(T, H, W)`` per sample, L2-normalised). Implemented exactly as
    ``d = mean_n ||Q_rgb,n - Q_flow,n||_2^2``: the squared L2 distance per
    sample, averaged over the batch; ``lambda`` = ``loss_weight``. The
    paper writes a sum over channels and the norm of the difference; after
    the normalisation sum and mean over channels give the same ``Q``. The
    authors' code (``at_loss``) averages the squared difference over
    positions as well, i.e. this ``d`` divided by ``T * H * W``, and scales
    the terms by a weight ``beta``: compare ``loss_weight`` values with
    that in mind.
    Channel counts of student and teacher may differ; their maps must have
    equal ``(T, H, W)`` (the recognizer aligns them).

    Args:
        p (float): Exponent of ``|F|``. Defaults to ``2.0`` (the paper's).
        **kwargs: ``loss_weight`` (``lambda``), ``student_channels`` and
            ``teacher_channels`` of :class:`BaseDistillLoss`.
    """

    default_pairs = (('layer3', 'layer3'), )
    log_name = 'at'
    accepts = ('map', )
    same_channels = False

    def __init__(self, p: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.p = self.positive('p', p)

    def distance(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``mean_n ||Q_rgb,n - Q_flow,n||_2^2``.

        Args:
            student (Tensor): ``(N, C_s, T, H, W)``.
            teacher (Tensor): ``(N, C_t, T, H, W)``; detached.

        Returns:
            Tensor: Scalar.
        """
        if student.dim() != 5 or student.shape[:1] + student.shape[2:] != \
                teacher.shape[:1] + teacher.shape[2:]:
            raise ValueError('attention transfer needs (N, C, T, H, W) maps '
                             'of equal N, T, H, W, got '
                             f'{tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        q_student = attention_map(student, self.p)
        q_teacher = attention_map(teacher.detach().to(student.dtype), self.p)
        return (q_student - q_teacher).pow(2).sum(dim=1).mean()

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, p={self.p}'
