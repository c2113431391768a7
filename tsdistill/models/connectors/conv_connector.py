# Copyright (c) tsdistill authors. All rights reserved.
"""FitNets' regressor: a 1x1x1 convolution from the student's channels to
the teacher's.

Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, applied to
the 3D maps of the student (M3) and the flow teacher (M1 + M2).
"""
import math

from mmaction.registry import MODELS
from torch import Tensor, nn

from ...utils import validation


@MODELS.register_module()
class ConvConnector(nn.Module):
    """``r(F_rgb)``: a trainable 1x1x1 convolution, ``C_s -> C_t``.

    The "regressor" of a FitNets hint: only the projection ``r(F_rgb)`` has
    to match the flow features (M1 + M2), so the directions of the
    student's (M3) ``F_rgb`` that ``r`` discards stay free to keep
    appearance. With ``hint_fraction < 1``, ``r`` reads only the first
    ``ceil(hint_fraction * C_s)`` channels of ``F_rgb``: the others get no
    gradient from the hint at all, a reserve for what the flow teacher
    cannot see.

    :class:`~tsdistill.models.recognizers.DistillRecognizer3D` builds one
    per term that names it (``FitNetsLoss``), with the pair's channel
    counts, and keeps it in its ``connectors``: a student parameter from
    construction on (optimised, DDP-wrapped, checkpointed as
    ``connectors.*``), which ``tools/misc/export_student.py`` strips.

    Args:
        student_channels (int): ``C_s``, the channels of ``F_rgb``, >= 1.
        teacher_channels (int): ``C_t``, the channels of ``F_flow``, >= 1.
        hint_fraction (float): Fraction of ``F_rgb``'s channels (the first
            ones) that ``r`` reads, in ``(0, 1]``. Defaults to ``1.0``.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 hint_fraction: float = 1.0) -> None:
        super().__init__()
        student_channels = validation.positive_int('student_channels',
                                                   student_channels)
        teacher_channels = validation.positive_int('teacher_channels',
                                                   teacher_channels)
        if not 0 < validation.real_number('hint_fraction', hint_fraction) <= 1:
            raise ValueError('ConvConnector: hint_fraction must be in (0, 1], '
                             f'got {hint_fraction}')
        #: channels of F_rgb the connector reads (the first ones)
        self.hint_channels = math.ceil(hint_fraction * student_channels)
        #: channels of r(F_rgb): the teacher's
        self.out_channels = teacher_channels
        # r: C_hint -> C_teacher at every position
        self.conv = nn.Conv3d(
            self.hint_channels, teacher_channels, kernel_size=1)

    def forward(self, student: Tensor) -> Tensor:
        """``r(F_rgb)``: ``(N, C_s[, T, H, W]) -> (N, C_t[, T, H, W])``.

        Args:
            student (Tensor): A map ``(N, C_s, T, H, W)`` or a pooled
                feature ``(N, C_s)``.

        Returns:
            Tensor: Of the same kind, with ``C_t`` channels.
        """
        student = student[:, :self.hint_channels]
        if student.dim() == 2:  # pooled features
            return self.conv(student[:, :, None, None, None]).flatten(1)
        return self.conv(student)

    def extra_repr(self) -> str:
        return f'hint_channels={self.hint_channels}'
