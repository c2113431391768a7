# Copyright (c) tsdistill authors. All rights reserved.
"""OpenCV's CPU DualTVL1: the classic TV-L1 that M1 is measured against.

One home for the call every comparison makes (the latency, flow and
extraction benchmarks): RGB ``uint8`` frames to grey with OpenCV's
``COLOR_RGB2GRAY`` (the BT.601 luma M1 uses too), then
``cv2.optflow.DualTVL1OpticalFlow_create()`` with its default parameters
(tau 0.25, lambda 0.15, theta 0.3, 5 scales, 5 warps, ...) between
consecutive frames.
"""
import time
from typing import List, Optional, Sequence

import cv2
import numpy as np


def dual_tvl1_flow(frames: Sequence[np.ndarray],
                   times: Optional[List[float]] = None) -> np.ndarray:
    """Flow between consecutive frames with OpenCV's DualTVL1 (defaults).

    Args:
        frames (Sequence[np.ndarray]): ``T >= 2`` RGB frames ``(H, W, 3)``,
            ``uint8``: a ``(T, H, W, 3)`` array or a list (``[f0, f1]`` for
            one pair).
        times (list[float], optional): If given, the seconds of each of the
            ``T - 1`` ``calc`` calls are appended to it (the conversion to
            grey is not timed). Defaults to ``None``.

    Returns:
        np.ndarray: ``(T-1, H, W, 2)`` float32 flow in pixels, ``(x, y)``.
    """
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    flows = []
    for first, second in zip(grey[:-1], grey[1:]):
        start = time.perf_counter()
        flows.append(tvl1.calc(first, second, None))
        if times is not None:
            times.append(time.perf_counter() - start)
    return np.stack(flows).astype(np.float32)
