# Copyright (c) tsdistill authors. All rights reserved.
"""Training cost of the teacher (M1 + M2) against the RGB network M3.

The demo's own training, not a synthetic step: each Table 1 row trains
through mmengine's ``Runner`` on the embedded motion-only data, with the
demo configs' DataLoader worker decoding videos beside it, for a few
epochs. mmengine's ``IterTimerHook`` records every iteration's time (data
wait and training step) in the message hub (``train/time``); the report
gives each row's median over the iterations after the first epoch (worker
start-up, caches), and the teacher / RGB ratio. With ``eager=True`` the
teacher is timed a second time with M1's eager torch ops, the cost before
the fused kernel.
"""
import copy
import os.path as osp
import statistics
import tempfile
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from ..data_tools.hmdb51_annotations import annotate_data, set_annotations
from ..data_tools.synthetic_motion import (embedded_data_root,
                                           prepare_embedded_data)
from ..utils.json_report import write_json_report
from ..utils.paths import shipped_path

#: The demo configs timed: Table 1's RGB row and its teacher (M1 + M2).
CONFIGS = dict(
    rgb='demo/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py',
    teacher='demo/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py')


def check_epochs(epochs: int) -> None:
    """A timing run needs an epoch after the first (not counted)."""
    if epochs < 2:
        raise ValueError(f'epochs must be >= 2 (the first is not counted), '
                         f'got {epochs}')


def embedded_training_data(mode: str, videos_per_class: int) -> str:
    """The embedded data of ``mode`` (seed 0), generated and annotated if
    needed; returns its root."""
    data_root = embedded_data_root(mode)
    prepare_embedded_data(data_root, videos_per_class, 0, mode)
    annotate_data(data_root)
    return data_root


def demo_cfg(config: str, data_root: str, work_dir: str) -> Config:
    """A shipped config (``config`` under ``configs/``) on split 1 of the
    embedded data at ``data_root``, logging to ``work_dir``."""
    cfg = Config.fromfile(shipped_path('configs', config))
    cfg.work_dir = work_dir
    set_annotations(cfg, osp.join(data_root, 'videos'),
                    osp.join(data_root, 'annotations'), 1)
    return cfg


def timing_cfg(cfg: Config, epochs: int) -> Config:
    """``cfg`` trained for ``epochs`` with nothing but the training.

    Validation, checkpoints and visualisation are off; everything else
    (pipeline, DataLoader workers, optimiser, schedule) is the config's.

    Args:
        cfg (Config): A training config with its data set (work dir too).
        epochs (int): Epochs to train.

    Returns:
        Config: A copy; ``cfg`` is unchanged.
    """
    cfg = copy.deepcopy(cfg)
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs + 1
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    return cfg


def iteration_times(cfg: Config, epochs: int) -> List[float]:
    """Seconds of every training iteration of ``cfg`` for ``epochs``.

    Args:
        cfg (Config): A training config with its data set (work dir too),
            run as :func:`timing_cfg` gives it.
        epochs (int): Epochs to train.

    Returns:
        list[float]: One time per iteration, in order.
    """
    runner = Runner.from_cfg(timing_cfg(cfg, epochs))
    runner.train()
    values, _ = runner.message_hub.get_scalar('train/time').data
    # this run's iterations (a message hub of the same name is shared)
    return [float(v) for v in values[len(values) - runner.iter:]]


def training_cost_benchmark(epochs: int = 3,
                            eager: bool = True,
                            videos_per_class: int = 40,
                            threads: Optional[int] = None,
                            work_dir: Optional[str] = None,
                            out: Optional[str] = None) -> Dict[str, object]:
    """Seconds per training iteration: RGB M3, teacher M1 + M2 (demo).

    Args:
        epochs (int): Epochs per row, >= 2 (the first is not counted).
            Defaults to ``3``.
        eager (bool): Also time the teacher with M1's eager ops. Defaults
            to ``True``.
        videos_per_class (int): Size of the embedded motion-only data
            (``data/synthetic_motion``, generated if needed: the main
            job's data). Defaults to ``40``, the main job's.
        threads (int, optional): ``torch.set_num_threads`` for the
            training process. Defaults to torch's default.
        work_dir (str, optional): Where the runs log. Defaults to a
            temporary folder, removed at the end.
        out (str, optional): JSON report path. Defaults to ``None``.

    Returns:
        dict: ``rows`` (per row: median and mean seconds per iteration,
        iterations counted), ``ratios`` and the settings.
    """
    check_epochs(epochs)
    if threads is not None:
        torch.set_num_threads(threads)
    data_root = embedded_training_data('motion', videos_per_class)
    variants = [('rgb', CONFIGS['rgb'], None),
                ('teacher', CONFIGS['teacher'], None)]
    if eager:
        variants.append(('teacher_eager', CONFIGS['teacher'], 'eager'))
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, config, backend in variants:
            cfg = demo_cfg(config, data_root,
                           osp.join(work_dir or scratch, name))
            if backend is not None:
                cfg.model.flow_cfg.backend = backend
            times = iteration_times(cfg, epochs)
            per_epoch = len(times) // epochs
            counted = times[per_epoch:]
            results[name] = dict(
                median_s=statistics.median(counted),
                mean_s=statistics.fmean(counted),
                iterations=len(counted))
            print_log(
                f'{name}: {results[name]["median_s"]:.3f} s per iteration '
                f'(median of {len(counted)})', 'current')
    ratios = {
        f'{name} / rgb': results[name]['median_s'] / results['rgb']['median_s']
        for name in results if name != 'rgb'
    }
    report = dict(
        rows=results,
        ratios=ratios,
        settings=dict(
            epochs=epochs,
            videos_per_class=videos_per_class,
            threads=torch.get_num_threads(),
            configs={
                name: config
                for name, config, _ in variants
            }))
    for name, ratio in ratios.items():
        print_log(f'{name}: {ratio:.2f}', 'current')
    if out:
        write_json_report(out, report)
    return report
