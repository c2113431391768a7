# Copyright (c) tsdistill authors. All rights reserved.
"""Clips played backwards for the distillation terms of the student (M3).

A clip and the same clip played backwards hold the same frames, so a
student (M3) can tell them apart only by the order of the frames: by the
motion. The flow teacher (M1 + M2) sees the reversed clip's reversed
motion, so a hint on both asks for maps that differ exactly where the
motion does; maps recalled from the appearance of a training clip cannot
match both.
"""
import math
from typing import Tuple

import torch
from torch import Tensor

from ...utils import validation


def check_reverse_fraction(fraction: float) -> float:
    """``fraction`` as a float in ``[0, 1)``, else a ``TypeError`` or
    ``ValueError`` naming ``hint_time_reverse``."""
    fraction = validation.real_number('hint_time_reverse', fraction)
    if not 0 <= fraction < 1:
        raise ValueError('hint_time_reverse must be in [0, 1) (at least one '
                         'clip of a batch keeps its label), got '
                         f'{fraction}')
    return fraction


def reverse_some_in_time(clips: Tensor,
                         fraction: float) -> Tuple[Tensor, Tensor]:
    """Play ``floor(fraction * N)`` clips of a batch backwards.

    Which clips: a random permutation of the batch, from torch's generator
    of ``clips``'s device (seeded by the Runner's ``randomness``).

    Args:
        clips (Tensor): ``(N, C, T, H, W)``.
        fraction (float): In ``[0, 1)``; ``0`` returns ``clips`` itself.

    Returns:
        tuple[Tensor, Tensor]: The clips, those chosen with their time axis
        flipped, and the sorted indices of the clips that play forwards
        (at least one).
    """
    num = clips.shape[0]
    reversed_num = math.floor(check_reverse_fraction(fraction) * num)
    if reversed_num == 0:
        return clips, torch.arange(num, device=clips.device)
    order = torch.randperm(num, device=clips.device)
    backwards = order[:reversed_num]
    clips = clips.clone()
    clips[backwards] = clips[backwards].flip(2)
    return clips, order[reversed_num:].sort().values
