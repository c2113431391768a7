# Copyright (c) tsdistill authors. All rights reserved.
"""Image pyramids of M1: level count and sizes, resizing images and flow.

Pure tensor helpers of :class:`~tsdistill.models.flow.TVL1OpticalFlow`:
each works on a batch of single images ``(B, C, H, W)`` (frame pairs are
folded into ``B``), allocates on the input's device and dtype, and is
differentiable with autograd.
"""
import math
from typing import List, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor


def num_pyramid_scales(height: int,
                       width: int,
                       zoom_factor: float,
                       max_scales: int,
                       min_size: float = 4.0) -> int:
    """Number of pyramid levels, TVNet's rule.

    ``min(1 + log(sqrt(H^2 + W^2) / min_size) / log(1 / zoom), max)``,
    at least 1.

    Args:
        height (int): Image height at the finest scale.
        width (int): Image width at the finest scale.
        zoom_factor (float): Down-sampling factor between levels, in (0, 1).
        max_scales (int): Cap on the number of levels.
        min_size (float): Diagonal (pixels) of the coarsest level.
            Defaults to ``4.0``.

    Returns:
        int: Number of levels, ``1 <= n <= max_scales``.
    """
    diag = math.hypot(height, width)
    n = 1 + math.log(max(diag / min_size, 1.0)) / math.log(1.0 / zoom_factor)
    return max(1, min(int(n), max_scales))


def pyramid_sizes(height: int, width: int, zoom_factor: float,
                  num_scales: int) -> List[Tuple[int, int]]:
    """Image sizes of a pyramid, finest first.

    Args:
        height (int): Finest height.
        width (int): Finest width.
        zoom_factor (float): Factor between consecutive levels.
        num_scales (int): Number of levels.

    Returns:
        list[tuple[int, int]]: ``num_scales`` ``(h, w)`` pairs, each side at
        least 1 pixel.
    """
    return [(max(1, int(round(height * zoom_factor**s))),
             max(1, int(round(width * zoom_factor**s))))
            for s in range(num_scales)]


def image_pyramid(x: Tensor, sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
    """Anti-aliased image pyramid.

    Each level is the previous one resized with anti-aliased bilinear
    interpolation (a triangle filter as wide as the zoom, so no separate
    Gaussian is needed before down-sampling).

    Args:
        x (Tensor): ``(B, C, H, W)``, the finest level.
        sizes (Sequence[tuple[int, int]]): Level sizes, finest first, as
            returned by :func:`pyramid_sizes`; ``sizes[0]`` must be
            ``(H, W)``.

    Returns:
        list[Tensor]: ``(B, C, h_s, w_s)`` per level, finest first.
    """
    levels = [x]
    for size in sizes[1:]:
        levels.append(
            F.interpolate(
                levels[-1],
                size=size,
                mode='bilinear',
                align_corners=False,
                antialias=True))
    return levels


def resize_flow(flow: Tensor, size: Tuple[int, int]) -> Tensor:
    """Resize a flow field and rescale its vectors to the new size.

    Args:
        flow (Tensor): ``(B, 2, h, w)``, channel 0 = x, 1 = y (pixels).
        size (tuple[int, int]): Target ``(H, W)``.

    Returns:
        Tensor: ``(B, 2, H, W)`` in pixels of the target size.
    """
    h, w = flow.shape[-2:]
    out = F.interpolate(flow, size=size, mode='bilinear', align_corners=False)
    scale = flow.new_tensor([size[1] / w, size[0] / h]).view(1, 2, 1, 1)
    return out * scale
