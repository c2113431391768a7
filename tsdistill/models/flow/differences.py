# Copyright (c) tsdistill authors. All rights reserved.
"""Difference operators of M1: image gradients, TV-L1's grad and div.

Pure tensor helpers of :class:`~tsdistill.models.flow.TVL1OpticalFlow`:
each works on a batch of single images ``(B, C, H, W)`` (frame pairs are
folded into ``B``), allocates on the input's device and dtype, and is
differentiable with autograd. Kernels are passed in, so the fixed (buffer)
and learnable (TVNet, ``trainable=True``) variants share one code path.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def centred_gradient_kernel() -> Tensor:
    """Central-difference kernels ``d/dx``, ``d/dy`` (:func:`image_gradients`).

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
