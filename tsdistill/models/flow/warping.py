# Copyright (c) tsdistill authors. All rights reserved.
"""Backward warping of M1: sample an image at ``p + flow(p)``.

Pure tensor helpers of :class:`~tsdistill.models.flow.TVL1OpticalFlow`:
each works on a batch of single images ``(B, C, H, W)`` (frame pairs are
folded into ``B``), allocates on the input's device and dtype, and is
differentiable with autograd.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def pixel_grid(height: int, width: int, device: torch.device,
               dtype: torch.dtype) -> Tensor:
    """Pixel coordinates normalised for ``grid_sample(align_corners=True)``.

    Args:
        height (int): Image height.
        width (int): Image width.
        device (torch.device): Device of the result.
        dtype (torch.dtype): Dtype of the result.

    Returns:
        Tensor: ``(1, H, W, 2)`` with ``(x, y)`` in ``[-1, 1]``.
    """
    ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
    xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack((gx, gy), dim=-1).unsqueeze(0)


def warp(x: Tensor, flow: Tensor, mode: str = 'bilinear') -> Tensor:
    """Backward warping: ``out(p) = x(p + flow(p))``.

    Samples outside the image take the nearest border value.

    Args:
        x (Tensor): ``(B, C, H, W)`` image(s) to sample.
        flow (Tensor): ``(B, 2, H, W)`` displacement in pixels, channel 0 = x.
        mode (str): ``'bilinear'`` or ``'bicubic'``. Defaults to
            ``'bilinear'``.

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    _, _, h, w = x.shape
    # pixels -> normalised units: 2 / (size - 1) per pixel
    scale = flow.new_tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)])
    grid = pixel_grid(h, w, x.device, x.dtype) + (
        flow.permute(0, 2, 3, 1) * scale)
    return F.grid_sample(
        x, grid, mode=mode, padding_mode='border', align_corners=True)
