# Copyright (c) tsdistill authors. All rights reserved.
"""Synthetic frame pairs with known optical flow (for M1's tests/benchmark).

A pair is rendered from an analytic texture ``T`` (random sinusoids plus
soft-edged discs, so it can be sampled anywhere without interpolation
error): the second frame is ``I1(x) = T(x)`` and the first is
``I0(x) = T(x + f(x))``, so that the flow from ``I0`` to ``I1`` is exactly
``f`` (each point ``x`` of ``I0`` is found at ``x + f(x)`` in ``I1``).
Frames are quantised to ``uint8`` like decoded video.
"""
from typing import Dict, List, Tuple

import numpy as np

MOTIONS = ('translation', 'rotation', 'zoom', 'deformation')


def _texture_params(rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """Random parameters of one texture (in 112-pixel scene units)."""
    num_waves, num_discs = 24, 14
    angle = rng.uniform(0, 2 * np.pi, num_waves)
    # spatial frequencies from 1/24 to 1/4 cycles per scene unit
    freq = np.exp(rng.uniform(np.log(1 / 24), np.log(1 / 4), num_waves))
    return dict(
        wave_k=np.stack([np.cos(angle), np.sin(angle)], 1) * freq[:, None],
        wave_amp=rng.uniform(0.3, 1.0, num_waves) / np.sqrt(freq * 24),
        wave_phase=rng.uniform(0, 2 * np.pi, num_waves),
        disc_c=rng.uniform(-10, 122, (num_discs, 2)),
        disc_r=rng.uniform(4, 22, num_discs),
        disc_amp=rng.choice([-1.0, 1.0], num_discs) *
        rng.uniform(1.0, 2.5, num_discs),
        gains=rng.uniform(0.8, 1.2, 3),
        offsets=rng.uniform(-15, 15, 3))


def render_texture(params: Dict[str, np.ndarray], xs: np.ndarray,
                   ys: np.ndarray, scale: float) -> np.ndarray:
    """Evaluate a texture at real-valued pixel coordinates.

    Args:
        params (dict): From :func:`_texture_params`.
        xs (np.ndarray): ``(H, W)`` x coordinates (pixels).
        ys (np.ndarray): ``(H, W)`` y coordinates (pixels).
        scale (float): Pixels per scene unit (``W / 112``).

    Returns:
        np.ndarray: ``(H, W, 3)`` float RGB, roughly in ``0..255``.
    """
    sx, sy = xs / scale, ys / scale
    lum = np.zeros_like(sx)
    for k, a, ph in zip(params['wave_k'], params['wave_amp'],
                        params['wave_phase']):
        lum += a * np.sin(2 * np.pi * (k[0] * sx + k[1] * sy) + ph)
    for c, r, a in zip(params['disc_c'], params['disc_r'], params['disc_amp']):
        d = np.hypot(sx - c[0], sy - c[1])
        # soft edge, about one scene unit wide
        lum += a / (1.0 + np.exp((d - r) / 0.6))
    lum = 128.0 + 22.0 * lum
    rgb = lum[..., None] * params['gains'] + params['offsets']
    return rgb


def motion_field(kind: str, height: int, width: int,
                 rng: np.random.Generator) -> np.ndarray:
    """A random flow field of one kind, magnitudes proportional to size.

    Args:
        kind (str): One of :data:`MOTIONS`.
        height (int): Frame height.
        width (int): Frame width.
        rng (np.random.Generator): Random source.

    Returns:
        np.ndarray: ``(H, W, 2)`` float32 flow in pixels (x, y).
    """
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    size = min(height, width)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    if kind == 'translation':
        mag = rng.uniform(0.01, 0.06) * size
        ang = rng.uniform(0, 2 * np.pi)
        fx = np.full_like(xs, mag * np.cos(ang))
        fy = np.full_like(xs, mag * np.sin(ang))
    elif kind == 'rotation':
        a = np.deg2rad(rng.uniform(1.0, 6.0) * rng.choice([-1, 1]))
        ox, oy = (rng.uniform(-0.15, 0.15, 2) * size)
        dx, dy = xs - cx - ox, ys - cy - oy
        fx = np.cos(a) * dx - np.sin(a) * dy - dx
        fy = np.sin(a) * dx + np.cos(a) * dy - dy
    elif kind == 'zoom':
        s = 1.0 + rng.uniform(0.02, 0.08) * rng.choice([-1, 1])
        ox, oy = (rng.uniform(-0.15, 0.15, 2) * size)
        fx = (s - 1.0) * (xs - cx - ox)
        fy = (s - 1.0) * (ys - cy - oy)
    elif kind == 'deformation':
        # a few Gaussian bumps of displacement, width ~ a quarter frame
        fx, fy = np.zeros_like(xs), np.zeros_like(xs)
        for _ in range(4):
            c = rng.uniform(0, 1, 2) * [width, height]
            sig = rng.uniform(0.15, 0.3) * size
            amp = rng.uniform(-0.05, 0.05, 2) * size
            g = np.exp(-((xs - c[0])**2 + (ys - c[1])**2) / (2 * sig**2))
            fx += amp[0] * g
            fy += amp[1] * g
    else:
        raise ValueError(f'unknown motion {kind!r}, expected one of '
                         f'{MOTIONS}')
    return np.stack([fx, fy], -1).astype(np.float32)


def make_pair(
        kind: str,
        height: int,
        width: int,
        rng: np.random.Generator,
        flow: np.ndarray = None,
        noise_std: float = 1.0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A frame pair and its ground-truth flow.

    Args:
        kind (str): One of :data:`MOTIONS` (ignored if ``flow`` is given).
        height (int): Frame height.
        width (int): Frame width.
        rng (np.random.Generator): Random source.
        flow (np.ndarray, optional): ``(H, W, 2)`` flow to use instead of a
            random one. Defaults to ``None``.
        noise_std (float): Std of Gaussian sensor noise (grey levels) added
            to each frame before quantisation. Defaults to ``1.0``.

    Returns:
        tuple: ``frame0``, ``frame1`` ``(H, W, 3)`` uint8 RGB and ``flow``
        ``(H, W, 2)`` float32, the flow from ``frame0`` to ``frame1``.
    """
    params = _texture_params(rng)
    if flow is None:
        flow = motion_field(kind, height, width, rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    scale = width / 112.0
    frame1 = render_texture(params, xs, ys, scale)
    frame0 = render_texture(params, xs + flow[..., 0], ys + flow[..., 1],
                            scale)
    q = [
        np.clip(np.rint(f + rng.normal(0, noise_std, f.shape)), 0,
                255).astype(np.uint8) for f in (frame0, frame1)
    ]
    return q[0], q[1], flow


def make_pairs(
    num_per_motion: int,
    height: int,
    width: int,
    seed: int = 0,
    noise_std: float = 1.0
) -> List[Tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Pairs of every motion kind, deterministic given ``seed``.

    Args:
        num_per_motion (int): Pairs per kind of :data:`MOTIONS`.
        height (int): Frame height.
        width (int): Frame width.
        seed (int): Random seed. Defaults to ``0``.
        noise_std (float): See :func:`make_pair`. Defaults to ``1.0``.

    Returns:
        list[tuple]: ``(kind, frame0, frame1, flow)`` per pair.
    """
    rng = np.random.default_rng(seed)
    out = []
    for kind in MOTIONS:
        for _ in range(num_per_motion):
            out.append(
                (kind,
                 *make_pair(kind, height, width, rng, noise_std=noise_std)))
    return out


def make_translation_clip(num_frames: int,
                          height: int,
                          width: int,
                          velocity: Tuple[float, float] = (1.0, 0.5),
                          seed: int = 0) -> np.ndarray:
    """A clip of a texture moving at constant velocity (flow = velocity).

    Returns:
        np.ndarray: ``(T, H, W, 3)`` uint8 RGB.
    """
    rng = np.random.default_rng(seed)
    params = _texture_params(rng)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    frames = []
    for t in range(num_frames):
        rgb = render_texture(params, xs - t * velocity[0],
                             ys - t * velocity[1], width / 112.0)
        frames.append(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    return np.stack(frames)


def valid_mask(flow: np.ndarray, border: int) -> np.ndarray:
    """Pixels where EPE is meaningful.

    Excludes a ``border`` of pixels on each side and pixels whose target
    ``x + f(x)`` leaves the frame (their content is not in the second
    frame).

    Args:
        flow (np.ndarray): ``(H, W, 2)`` ground truth.
        border (int): Margin in pixels.

    Returns:
        np.ndarray: ``(H, W)`` bool.
    """
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    tx, ty = xs + flow[..., 0], ys + flow[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    mask = np.zeros((h, w), bool)
    mask[border:h - border, border:w - border] = True
    return mask & inside


def epe(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Average end-point error over ``mask``.

    Args:
        pred (np.ndarray): ``(H, W, 2)`` estimated flow.
        gt (np.ndarray): ``(H, W, 2)`` ground truth.
        mask (np.ndarray): ``(H, W)`` bool.

    Returns:
        float: Mean of ``|pred - gt|_2`` over the mask.
    """
    return float(np.linalg.norm(pred - gt, axis=-1)[mask].mean())
