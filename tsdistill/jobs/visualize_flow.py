# Copyright (c) tsdistill authors. All rights reserved.
"""The paper's Fig. 5 for a video: its frames above M1's flow, as a PNG.

The job behind ``tools/visualize_flow.py`` and the main job's
``flow_visualization.png``: decode a video, run M1 on it
(:mod:`tsdistill.data_tools.flow_extraction`) and draw the grid with the
colour wheel of :mod:`tsdistill.utils.flow_vis`.
"""
import warnings
from typing import Optional

import numpy as np

from ..data_tools.flow_extraction import (check_device, compute_flow_module,
                                          read_video, video_length)
from ..utils.flow_vis import flow_grid, save_png


def visualize_video_flow(video_path: str,
                         out_path: str,
                         num_frames: int = 8,
                         stride: int = 1,
                         start: int = 0,
                         short_side: Optional[int] = 112,
                         flow_cfg: Optional[dict] = None,
                         max_flow: Optional[float] = None,
                         device: Optional[str] = None) -> np.ndarray:
    """Decode a video, compute M1's flow and save the Fig. 5 grid as PNG.

    Args:
        video_path (str): Video file (decoded with decord).
        out_path (str): PNG to write (parent directories are created).
        num_frames (int): Columns of the grid. Defaults to ``8``.
        stride (int): Frame step between columns; the flow is computed
            between frames ``stride`` apart. Defaults to ``1``.
        start (int): First frame index. Defaults to ``0``.
        short_side (int, optional): Resize so the shorter side has this
            length before computing flow; ``None`` keeps the size.
            Defaults to ``112``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments.
            Defaults to ``None`` (its defaults, raw 0..255 input).
        max_flow (float, optional): See
            :func:`~tsdistill.utils.flow_vis.flow_grid`.
        device (str, optional): Torch device (checked before the video is
            read); ``None`` picks CUDA if available. Defaults to ``None``.

    Returns:
        np.ndarray: The grid, ``uint8`` RGB; fewer columns (and a warning)
        if the video ends before ``num_frames`` columns.

    Raises:
        ValueError: ``start`` leaves no frame pair in the video.
    """
    device = check_device(device)
    if start < 0 or stride < 1 or num_frames < 1:
        raise ValueError(f'need start >= 0, stride >= 1 and num_frames >= 1, '
                         f'got {start}, {stride} and {num_frames}')
    length = video_length(video_path)
    if start + stride >= length:
        raise ValueError(
            f'{video_path} has {length} frames (0..{length - 1}): '
            f'--start {start} leaves no frame pair {stride} apart')
    columns = min(num_frames, (length - 1 - start) // stride)
    if columns < num_frames:
        warnings.warn(f'{video_path} has {length} frames: {columns} of '
                      f'{num_frames} columns from frame {start} with stride '
                      f'{stride}')
    indices = [start + i * stride for i in range(columns + 1)]
    frames = read_video(video_path, short_side=short_side, indices=indices)
    flows = compute_flow_module(frames, flow_cfg=flow_cfg, device=device)
    grid = flow_grid(frames[:-1], flows, max_flow=max_flow)
    save_png(out_path, grid)
    return grid
