# Copyright (c) tsdistill authors. All rights reserved.
"""Pure tensor helpers for M1, the TV-L1 optical-flow layers.

Every helper works on a batch of single images ``(B, C, H, W)`` (frame
pairs are folded into ``B`` by :class:`TVL1OpticalFlow`), allocates on the
input's device and dtype, and is differentiable with autograd. Kernels are
passed in, so the fixed (buffer) and learnable (TVNet, ``trainable=True``)
variants share one code path.
"""
import math
from typing import List, Optional, Sequence, Tuple

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


def centred_gradient_kernel() -> Tensor:
    """Central-difference kernels ``d/dx``, ``d/dy`` for :func:`conv_grad`.

    Returns:
        Tensor: ``(2, 1, 3, 3)``; output channel 0 = x, 1 = y.
    """
    k = torch.zeros(2, 1, 3, 3)
    k[0, 0, 1, 0], k[0, 0, 1, 2] = -0.5, 0.5
    k[1, 0, 0, 1], k[1, 0, 2, 1] = -0.5, 0.5
    return k


def forward_difference_kernel() -> Tensor:
    """Forward-difference stencils for :func:`forward_gradient`.

    ``u(i, j+1) - u(i, j)`` and ``u(i+1, j) - u(i, j)`` as ``2x2`` kernels,
    applied after replicating the last row / column, so the difference is 0
    there (the Neumann boundary of TV-L1).

    Returns:
        Tensor: ``(2, 1, 2, 2)``; output channel 0 = x, 1 = y.
    """
    # yapf: disable
    return torch.tensor([[[[-1.0, 1.0], [0.0, 0.0]]],
                         [[[-1.0, 0.0], [1.0, 0.0]]]])
    # yapf: enable


def backward_difference_kernel() -> Tensor:
    """Backward-difference stencils for :func:`divergence`.

    ``div p(i, j) = p_x(i, j) - p_x(i, j-1) + p_y(i, j) - p_y(i-1, j)`` as a
    ``2x2`` kernel over ``(p_x, p_y)``, applied after zero-padding the first
    row / column. With ``p = 0`` on the last row / column (the forward
    differences vanish there) this is minus the adjoint of
    :func:`forward_difference_kernel`.

    Returns:
        Tensor: ``(1, 2, 2, 2)``; input channel 0 = ``p_x``, 1 = ``p_y``.
    """
    # yapf: disable
    return torch.tensor([[[[0.0, 0.0], [-1.0, 1.0]],
                          [[0.0, -1.0], [0.0, 1.0]]]])
    # yapf: enable


def image_gradients(x: Tensor, kernel: Tensor) -> Tensor:
    """Gradient of each channel with a 3x3 kernel pair, replicated borders.

    Args:
        x (Tensor): ``(B, C, H, W)``.
        kernel (Tensor): ``(2, 1, 3, 3)`` (x, y) kernels, e.g.
            :func:`centred_gradient_kernel`.

    Returns:
        Tensor: ``(B, C, 2, H, W)``; ``[:, c, 0]`` = d/dx, ``[:, c, 1]`` =
        d/dy of channel ``c``.
    """
    b, c, h, w = x.shape
    x = F.pad(
        x, (1, 1, 1, 1), mode='replicate').reshape(b * c, 1, h + 2, w + 2)
    return F.conv2d(x, kernel).view(b, c, 2, h, w)


def forward_gradient(u: Tensor,
                     kernel: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Forward-difference gradient of each channel (TV-L1's ``grad``).

    ``d_x u(i, j) = u(i, j+1) - u(i, j)`` (0 on the last column) and
    ``d_y u(i, j) = u(i+1, j) - u(i, j)`` (0 on the last row).

    Args:
        u (Tensor): ``(B, C, H, W)``.
        kernel (Tensor, optional): ``(2, 1, 2, 2)`` stencils (the learnable
            variant), applied with ``conv2d`` after replicating the last
            row / column. ``None`` computes
            :func:`forward_difference_kernel` exactly with slicing, an order
            of magnitude faster than ``conv2d`` on CPU. Defaults to ``None``.

    Returns:
        tuple[Tensor, Tensor]: ``(d_x u, d_y u)``, each ``(B, C, H, W)``.
    """
    b, c, h, w = u.shape
    padded = F.pad(u, (0, 1, 0, 1), mode='replicate')
    if kernel is None:
        return padded[..., :-1, 1:] - u, padded[..., 1:, :-1] - u
    out = F.conv2d(padded.reshape(b * c, 1, h + 1, w + 1), kernel)
    out = out.view(b, c, 2, h, w)
    return out[:, :, 0], out[:, :, 1]


def divergence(p_x: Tensor,
               p_y: Tensor,
               kernel: Optional[Tensor] = None) -> Tensor:
    """Divergence of dual vector fields (TV-L1's ``div``).

    ``div p(i, j) = p_x(i, j) - p_x(i, j-1) + p_y(i, j) - p_y(i-1, j)``
    with ``p(-1) = 0``; minus the adjoint of :func:`forward_gradient` when
    ``p_x`` is 0 on the last column and ``p_y`` on the last row.

    Args:
        p_x (Tensor): ``(B, C, H, W)`` x components.
        p_y (Tensor): ``(B, C, H, W)`` y components.
        kernel (Tensor, optional): ``(1, 2, 2, 2)`` stencil (the learnable
            variant), applied with ``conv2d`` after zero-padding the first
            row / column. ``None`` computes
            :func:`backward_difference_kernel` exactly with slicing.
            Defaults to ``None``.

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    b, c, h, w = p_x.shape
    if kernel is None:
        div = p_x + p_y
        # in place on the fresh sum: subtract the left / upper neighbours
        div[..., :, 1:] -= p_x[..., :, :-1]
        div[..., 1:, :] -= p_y[..., :-1, :]
        return div
    p = torch.stack((p_x, p_y), dim=2).view(b * c, 2, h, w)
    return F.conv2d(F.pad(p, (1, 0, 1, 0)), kernel).view(b, c, h, w)


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
