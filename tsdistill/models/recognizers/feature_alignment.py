# Copyright (c) tsdistill authors. All rights reserved.
"""Student and teacher feature maps brought to the same ``(T, H, W)``."""
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor

TEMPORAL_ALIGNS = ('interpolate', 'crop')


def align_features(student: Tensor, teacher: Tensor,
                   mode: str) -> Tuple[Tensor, Tensor]:
    """Bring student and teacher feature maps to the same ``(T, H, W)``.

    The flow stream sees ``T-1`` flow frames for ``T`` RGB frames (flow
    ``t`` lies between RGB frames ``t`` and ``t+1``), so after the
    temporal strides their maps may differ by a position or so.

    Args:
        student (Tensor): ``(N, C, T_s, H_s, W_s)`` student map.
        teacher (Tensor): ``(N, C, T_t, H_t, W_t)`` teacher map.
        mode (str): ``'interpolate'``: resample the student map trilinearly
            (``align_corners=False``, i.e. cell centres aligned) onto the
            teacher's grid; every RGB position contributes. ``'crop'``: keep
            the leading ``min`` positions of both along each axis, i.e. drop
            the features of the last RGB frame(s).

    Returns:
        tuple[Tensor, Tensor]: Student and teacher maps of equal shape.
    """
    if student.shape[2:] == teacher.shape[2:]:
        return student, teacher
    if mode == 'interpolate':
        student = F.interpolate(
            student,
            size=teacher.shape[2:],
            mode='trilinear',
            align_corners=False)
        return student, teacher
    if mode == 'crop':
        t, h, w = (min(a, b)
                   for a, b in zip(student.shape[2:], teacher.shape[2:]))
        return student[:, :, :t, :h, :w], teacher[:, :, :t, :h, :w]
    raise ValueError(f'temporal_align must be one of {TEMPORAL_ALIGNS}, '
                     f'got {mode!r}')
