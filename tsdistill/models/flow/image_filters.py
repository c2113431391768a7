# Copyright (c) tsdistill authors. All rights reserved.
"""Image filters of M1: RGB to grey, Gaussian blur, median filter.

Pure tensor helpers of :class:`~tsdistill.models.flow.TVL1OpticalFlow`:
each works on a batch of single images ``(B, C, H, W)`` (frame pairs are
folded into ``B``), allocates on the input's device and dtype, and is
differentiable with autograd.
"""
import math

import torch
import torch.nn.functional as F
from torch import Tensor

# ITU-R BT.601 luma weights over RGB (OpenCV's ``COLOR_RGB2GRAY``; TVNet's
# (0.114, 0.587, 0.299) over BGR).
RGB_TO_GREY = (0.299, 0.587, 0.114)


def rgb_to_grey(x: Tensor) -> Tensor:
    """Luma of an RGB batch.

    Args:
        x (Tensor): ``(B, 3, ...)`` RGB.

    Returns:
        Tensor: ``(B, 1, ...)`` grey levels, same range as ``x``.
    """
    w = x.new_tensor(RGB_TO_GREY).view(1, 3, *([1] * (x.dim() - 2)))
    return (x * w).sum(1, keepdim=True)


def gaussian_kernel1d(sigma: float, radius: int = -1) -> Tensor:
    """Normalised 1-D Gaussian kernel.

    Args:
        sigma (float): Standard deviation in pixels, > 0.
        radius (int): Half width; ``-1`` means ``ceil(3 * sigma)`` (at
            least 1). TVNet's 5x5 kernel for ``sigma=0.8`` is ``radius=2``.
            Defaults to ``-1``.

    Returns:
        Tensor: ``(2 * radius + 1,)`` float32 weights summing to 1.
    """
    if radius < 0:
        radius = max(1, int(math.ceil(3.0 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma)**2)
    return k / k.sum()


def gaussian_blur(x: Tensor, kernel1d: Tensor) -> Tensor:
    """Separable Gaussian blur with replicated borders.

    Args:
        x (Tensor): ``(B, C, H, W)``.
        kernel1d (Tensor): ``(K,)`` weights, ``K`` odd.

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    c = x.shape[1]
    r = kernel1d.numel() // 2
    k = kernel1d.to(x)
    kx = k.view(1, 1, 1, -1).expand(c, 1, 1, k.numel())
    ky = k.view(1, 1, -1, 1).expand(c, 1, k.numel(), 1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode='replicate'), kx, groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode='replicate'), ky, groups=c)


def median_filter(x: Tensor, size: int) -> Tensor:
    """Per-channel median filter with replicated borders.

    Args:
        x (Tensor): ``(B, C, H, W)``.
        size (int): Odd window side.

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    r = size // 2
    b, c, h, w = x.shape
    patches = F.unfold(
        F.pad(x, (r, r, r, r), mode='replicate'), kernel_size=size)
    return patches.view(b, c, size * size, h * w).median(2)[0].view(b, c, h, w)
