# Copyright (c) tsdistill authors. All rights reserved.
"""Flow to colour (Middlebury colour wheel) and the paper's Fig. 5 grid."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np


def make_colorwheel() -> np.ndarray:
    """The Middlebury colour wheel (Baker et al., IJCV 2011).

    Six hue segments (red-yellow 15, yellow-green 6, green-cyan 4,
    cyan-blue 11, blue-magenta 13, magenta-red 6 steps).

    Returns:
        np.ndarray: ``(55, 3)`` float RGB in ``0..255``.
    """
    segments = [(15, (255, 0, 0), (255, 255, 0)),
                (6, (255, 255, 0), (0, 255, 0)),
                (4, (0, 255, 0), (0, 255, 255)),
                (11, (0, 255, 255), (0, 0, 255)),
                (13, (0, 0, 255), (255, 0, 255)),
                (6, (255, 0, 255), (255, 0, 0))]
    rows = []
    for n, start, end in segments:
        t = np.arange(n)[:, None] / n
        rows.append((1 - t) * np.array(start) + t * np.array(end))
    return np.concatenate(rows).astype(np.float64)


def flow_to_color(flow: np.ndarray,
                  max_flow: Optional[float] = None) -> np.ndarray:
    """Colour-code a flow field: hue = direction, saturation = magnitude.

    Args:
        flow (np.ndarray): ``(H, W, 2)`` flow in pixels (x, y).
        max_flow (float, optional): Magnitude shown at full saturation;
            ``None`` uses the field's maximum. Larger magnitudes are
            darkened, as in the Middlebury code. Defaults to ``None``.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB; zero flow is white.
    """
    flow = np.nan_to_num(np.asarray(flow, dtype=np.float64))
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'flow must be (H, W, 2), got {flow.shape}')
    u, v = flow[..., 0], flow[..., 1]
    mag = np.hypot(u, v)
    if max_flow is None:
        max_flow = mag.max()
    max_flow = max(float(max_flow), np.finfo(np.float32).eps)
    u, v, mag = u / max_flow, v / max_flow, mag / max_flow

    wheel = make_colorwheel()
    ncols = len(wheel)
    angle = np.arctan2(-v, -u) / np.pi  # in [-1, 1]
    fk = (angle + 1) / 2 * (ncols - 1)
    k0 = np.floor(fk).astype(int)
    k1 = (k0 + 1) % ncols
    f = (fk - k0)[..., None]
    col = (1 - f) * wheel[k0] / 255 + f * wheel[k1] / 255
    small = (mag <= 1)[..., None]
    # saturation grows with magnitude from white; beyond max_flow darken
    col = np.where(small, 1 - mag[..., None] * (1 - col), col * 0.75)
    return np.clip(np.floor(255 * col), 0, 255).astype(np.uint8)


def flow_grid(frames: np.ndarray,
              flows: np.ndarray,
              max_flow: Optional[float] = None,
              gap: int = 4) -> np.ndarray:
    """The paper's Fig. 5 layout: RGB frames above their flow images.

    Column ``t`` shows frame ``t`` on top and the flow from ``t`` to
    ``t+1`` below it.

    Args:
        frames (np.ndarray): ``(K, H, W, 3)`` uint8 RGB frames.
        flows (np.ndarray): ``(K, H, W, 2)`` flow of each frame to its next.
        max_flow (float, optional): Common colour scale; ``None`` uses the
            largest magnitude over all flows. Defaults to ``None``.
        gap (int): White pixels between tiles. Defaults to ``4``.

    Returns:
        np.ndarray: ``(2 H + 3 gap, K (W + gap) + gap, 3)`` uint8 RGB.
    """
    if len(frames) != len(flows):
        raise ValueError(f'{len(frames)} frames but {len(flows)} flows')
    k, h, w = frames.shape[:3]
    if max_flow is None:
        max_flow = float(np.hypot(flows[..., 0], flows[..., 1]).max())
    grid = np.full((2 * h + 3 * gap, k * (w + gap) + gap, 3), 255, np.uint8)
    for i in range(k):
        x0 = gap + i * (w + gap)
        grid[gap:gap + h, x0:x0 + w] = frames[i]
        grid[2 * gap + h:2 * gap + 2 * h,
             x0:x0 + w] = flow_to_color(flows[i], max_flow)
    return grid


def save_png(path: str, rgb: np.ndarray) -> None:
    """Write an RGB ``uint8`` image as PNG, naming the file on failure."""
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f'{path}: could not write image')


__all__: Sequence[str] = [
    'make_colorwheel', 'flow_to_color', 'flow_grid', 'save_png'
]
