# Copyright (c) tsdistill authors. All rights reserved.
"""What M1 sees of a rotation: the curl of its flow, per class.

A rigid rotation by ``omega`` radians per frame has a flow whose curl
``dv/dx - du/dy`` is ``2 omega`` everywhere (positive for a clockwise
turn on screen, where y points down); a translation's curl is 0. On the
embedded motion-only data the object turns about the centre of the frame,
so the mean curl of M1's flow over the central square, per frame, tells
how much of the rotation M1 recovers. Every clip of a split's train and
test lists goes through the teacher config's test pipeline (the centre
clip and crop, as the teacher sees it) and M1 (the config's
``flow_cfg``, with overrides), and the report gives each class's mean and
std of the curl over its videos.
"""
import copy
import os.path as osp
import statistics
from typing import Dict, Optional, Sequence

import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor


def curl(flow: Tensor) -> Tensor:
    """``dv/dx - du/dy`` by central differences, inside a 1-pixel border.

    Args:
        flow (Tensor): ``(..., 2, H, W)`` flow, channel 0 = x, 1 = y.

    Returns:
        Tensor: ``(..., H - 2, W - 2)``.
    """
    u, v = flow[..., 0, :, :], flow[..., 1, :, :]
    dv_dx = (v[..., 1:-1, 2:] - v[..., 1:-1, :-2]) / 2
    du_dy = (u[..., 2:, 1:-1] - u[..., :-2, 1:-1]) / 2
    return dv_dx - du_dy


def central_curl(flow: Tensor, side: int) -> Tensor:
    """Mean curl per clip over the central ``side`` x ``side`` square.

    Args:
        flow (Tensor): ``(N, 2, T, H, W)`` flow of N clips (M1's output).
        side (int): Side of the square, in pixels.

    Returns:
        Tensor: ``(N,)`` mean curl per pair of frames.
    """
    maps = curl(flow.transpose(1, 2))  # (N, T, H - 2, W - 2)
    h, w = maps.shape[-2:]
    if not 0 < side <= min(h, w):
        raise ValueError(f'side must be in 1..{min(h, w)} for {h + 2}x'
                         f'{w + 2} flow, got {side}')
    top, left = (h - side) // 2, (w - side) // 2
    return maps[..., top:top + side, left:left + side].mean((1, 2, 3))


def flow_curl_by_class(
        config: str,
        data_root: str = 'data/synthetic_motion',
        split: int = 1,
        flow_cfg: Optional[dict] = None,
        side: int = 14,
        batch_size: int = 16,
        classes: Optional[Sequence[str]] = None
) -> Dict[str, Dict[str, float]]:
    """Mean and std over videos of M1's central curl, per class.

    Args:
        config (str): A teacher config (``model.flow_cfg`` is M1; its test
            pipeline makes the clips).
        data_root (str): Data in HMDB51's layout with the annotation lists
            (``tools/run_table1.py --mode motion`` prepares
            ``data/synthetic_motion``). Defaults to that.
        split (int): Split whose train and test videos are read.
            Defaults to ``1``.
        flow_cfg (dict, optional): Overrides of M1's config (e.g.
            ``dict(lambda_=1.0)``). Defaults to ``None``.
        side (int): Side of the central square. Defaults to ``14`` (the
            object of the 32 px demo clips).
        batch_size (int): Clips per M1 forward. Defaults to ``16``.
        classes (Sequence[str], optional): Class names in label order.
            Defaults to ``<data_root>/annotations/classes.txt``.

    Returns:
        dict: Per class name: ``mean``, ``std`` (sample std; 0 for one
        video) and ``videos``.
    """
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    ann_dir = osp.join(data_root, 'annotations')
    if classes is None:
        with open(osp.join(ann_dir, 'classes.txt')) as f:
            classes = f.read().split()
    m1_cfg = dict(copy.deepcopy(cfg.model.flow_cfg), **(flow_cfg or {}))
    m1 = MODELS.build(m1_cfg).eval()
    curls: Dict[str, list] = {name: [] for name in classes}
    for ann in (f'hmdb51_train_split_{split}_videos.txt',
                f'hmdb51_val_split_{split}_videos.txt'):
        dataset = DATASETS.build(
            dict(
                copy.deepcopy(cfg.test_dataloader.dataset),
                ann_file=osp.join(ann_dir, ann),
                data_prefix=dict(video=osp.join(data_root, 'videos'))))
        for start in range(0, len(dataset), batch_size):
            samples = [
                dataset[i]
                for i in range(start, min(start + batch_size, len(dataset)))
            ]
            clips = torch.cat([s['inputs'] for s in samples]).float()
            with torch.no_grad():
                values = central_curl(m1(clips), side)
            for sample, value in zip(samples, values.tolist()):
                label = int(sample['data_samples'].gt_label)
                curls[classes[label]].append(value)
    return {
        name:
        dict(
            mean=statistics.fmean(values),
            std=statistics.stdev(values) if len(values) > 1 else 0.0,
            videos=len(values))
        for name, values in curls.items() if values
    }
