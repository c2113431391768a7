# Copyright (c) tsdistill authors. All rights reserved.
"""Shared fixtures: tiny generated videos, no downloads."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmaction.utils import register_all_modules

import tsdistill  # noqa: F401

# mmaction2's own tests do the same: default scope 'mmaction' for builds
register_all_modules(init_default_scope=True)


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


@pytest.fixture
def tiny_video_list(tmp_path):
    """Four tiny videos of two classes and an mmaction2 VideoDataset list.

    Returns:
        tuple: ``(data_root, ann_file)``.
    """
    root = tmp_path / 'videos'
    lines = []
    for i in range(4):
        label = i % 2
        rel = f'class{label}/v{i}.avi'
        write_tiny_video(str(root / rel), shift=1 if label else -1, seed=i)
        lines.append(f'{rel} {label}')
    ann = tmp_path / 'train_list.txt'
    ann.write_text('\n'.join(lines) + '\n')
    return str(root), str(ann)
