# Copyright (c) tsdistill authors. All rights reserved.
"""Flow to colour (Middlebury colour wheel) and the paper's Fig. 5 grid."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv import flow2rgb, make_color_wheel

#: Flow components above this (or NaN) are unknown, as Middlebury marks them
#: (mmcv's ``flow2rgb`` default): drawn black, left out of the scale
UNKNOWN_FLOW = 1e6


def _unknown(flow: np.ndarray) -> np.ndarray:
    """Where ``(..., 2)`` flow is unknown (as :func:`mmcv.flow2rgb` says)."""
    return (np.isnan(flow) | (np.abs(flow) > UNKNOWN_FLOW)).any(axis=-1)


def flow_to_color(flow: np.ndarray,
                  max_flow: Optional[float] = None) -> np.ndarray:
    """Colour-code a flow field: hue = direction, saturation = magnitude.

    The Middlebury colour coding (Baker et al., IJCV 2011) of mmcv's
    :func:`mmcv.flow2rgb` and :func:`mmcv.make_color_wheel`, as ``uint8``.

    Args:
        flow (np.ndarray): ``(H, W, 2)`` flow in pixels (x, y).
        max_flow (float, optional): Magnitude shown at full saturation;
            ``None`` uses the field's largest known magnitude (as
            ``flow2rgb``). Larger magnitudes are shown at full saturation
            and darkened, as in the Middlebury code. Defaults to ``None``.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB; zero flow is white, unknown
        flow (NaN, or a component above :data:`UNKNOWN_FLOW`) black.

    Raises:
        ValueError: ``flow`` is not ``(H, W, 2)``, or ``max_flow`` is not
            positive.
    """
    flow = np.array(flow, dtype=np.float64)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'flow must be (H, W, 2), got {flow.shape}')
    if max_flow is None:
        rgb = flow2rgb(flow, make_color_wheel(), UNKNOWN_FLOW)
        return np.clip(np.floor(255 * rgb), 0, 255).astype(np.uint8)
    max_flow = float(max_flow)
    if not max_flow > 0:
        raise ValueError(f'max_flow must be positive, got {max_flow}')
    h, w = flow.shape[:2]
    unknown = _unknown(flow)
    flow[unknown] = np.nan
    mag = np.hypot(flow[..., 0], flow[..., 1])
    over = ~unknown & (mag > max_flow)
    # beyond max_flow: the direction at (just under) full saturation ...
    flow[over] *= (max_flow * (1 - 1e-9) / mag[over])[:, None]
    # ... on a scale fixed at max_flow by one extra pixel of that
    # magnitude (flow2rgb scales by the field's largest magnitude)
    column = np.concatenate([flow.reshape(-1, 2), [[max_flow, 0.0]]])
    rgb = flow2rgb(column[:, None], make_color_wheel(), UNKNOWN_FLOW)
    rgb = rgb[:-1, 0].reshape(h, w, 3)
    # ... then darkened, as the Middlebury code does
    rgb[over] *= 0.75
    return np.clip(np.floor(255 * rgb), 0, 255).astype(np.uint8)


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
            largest known magnitude over all flows. Defaults to ``None``.
        gap (int): White pixels between tiles. Defaults to ``4``.

    Returns:
        np.ndarray: ``(2 H + 3 gap, K (W + gap) + gap, 3)`` uint8 RGB.
    """
    if len(frames) != len(flows):
        raise ValueError(f'{len(frames)} frames but {len(flows)} flows')
    k, h, w = frames.shape[:3]
    if max_flow is None:
        flows = np.asarray(flows, dtype=np.float64)
        mag = np.hypot(flows[..., 0], flows[..., 1])
        known = ~_unknown(flows)
        # no known motion at all: nothing to scale (zero flow is white)
        max_flow = float(mag[known].max()) if known.any() else 0.0
        max_flow = max_flow or None
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


__all__: Sequence[str] = ['flow_to_color', 'flow_grid', 'save_png']
