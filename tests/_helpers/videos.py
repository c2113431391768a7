# Copyright (c) tsdistill authors. All rights reserved.
"""Tiny generated test videos (no downloads)."""
import os
import os.path as osp

import cv2
import numpy as np


def write_tiny_video(path: str,
                     num_frames: int = 12,
                     size: int = 32,
                     shift: int = 1,
                     seed: int = 0) -> str:
    """Write a textured square moving ``shift`` px per frame as MJPG .avi."""
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (size, size))
    for t in range(num_frames):
        writer.write(np.roll(texture, shift * t, axis=1))
    writer.release()
    return path
