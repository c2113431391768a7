# Copyright (c) tsdistill authors. All rights reserved.
"""The demo's training budget in clips, for data of another size.

The demo configs' epochs were chosen on the embedded data: 120 epochs of
:data:`EMBEDDED_TRAIN_VIDEOS` training videos. On data with fewer
training videos the same epochs give every row fewer optimizer steps (the
64-px validation set: 144 videos, two thirds of them). With the budget in
clips, every epoch count of a config (the loop's length and validation
interval, the checkpoint interval, the parameter schedulers' epochs, the
student's loss schedule: its first stage without CE) is scaled by
``EMBEDDED_TRAIN_VIDEOS / training videos``, so each row sees as many
training clips, and takes as many steps, as on the embedded data.
"""
from typing import Any, Dict, Optional

from mmengine.config import Config, ConfigDict

#: Training videos of one split of the embedded data at the main job's
#: size (40 videos per class, 8 classes; 27 per class train): the data the
#: demo's 120 epochs were chosen on.
EMBEDDED_TRAIN_VIDEOS = 216

#: The budgets of :func:`tsdistill.jobs.table1.run_table1`: the configs'
#: epochs as they are, or scaled to the embedded data's training clips.
SCHEDULES = ('epochs', 'clips')

#: Epoch-valued keys of mmengine's parameter schedulers (``by_epoch``)
SCHEDULER_EPOCH_KEYS = ('begin', 'end', 'T_max')


def clips_factor(train_videos: int) -> float:
    """Factor of the epochs that gives ``train_videos`` the embedded
    data's training clips."""
    if train_videos < 1:
        raise ValueError(f'no training videos to scale the schedule to, got '
                         f'{train_videos}')
    return EMBEDDED_TRAIN_VIDEOS / train_videos


def scale_epochs(cfg: Config, factor: float) -> Dict[str, Any]:
    """Scale every epoch count of a training config by ``factor``.

    In place: ``train_cfg.max_epochs`` and ``val_interval``, the
    ``CheckpointHook``'s interval, the ``begin`` / ``end`` / ``T_max`` of
    every parameter scheduler counted in epochs, and ``distill_only`` /
    ``ce_ramp`` of a student's ``loss_schedule`` counted in epochs; each
    rounded, at least 1 (``begin`` and the loss schedule's lengths may be
    0). ``factor == 1`` changes nothing.

    Args:
        cfg (Config): An epoch-based training config.
        factor (float): E.g. :func:`clips_factor`.

    Returns:
        dict: ``{key: (before, after)}`` of what changed.

    Raises:
        ValueError: ``factor`` is not positive, the loop is not epoch-based,
            or a parameter scheduler counted in epochs has an epoch key
            this does not know how to scale (e.g. ``milestones``).
    """
    if not factor > 0:
        raise ValueError(f'the epoch factor must be > 0, got {factor}')
    changed: Dict[str, Any] = {}
    if factor == 1:
        return changed

    def scale(owner: ConfigDict,
              key: str,
              name: str,
              minimum: int = 1) -> None:
        before = owner.get(key)
        if before is None:
            return
        after = max(minimum, round(before * factor))
        if after != before:
            owner[key] = after
            changed[name] = (before, after)

    train_cfg = cfg.get('train_cfg') or {}
    if train_cfg.get('type', 'EpochBasedTrainLoop') != 'EpochBasedTrainLoop' \
            or 'max_epochs' not in train_cfg:
        raise ValueError('the budget in clips scales an epoch-based '
                         f'training loop, got train_cfg={dict(train_cfg)}')
    scale(train_cfg, 'max_epochs', 'train_cfg.max_epochs')
    scale(train_cfg, 'val_interval', 'train_cfg.val_interval')
    checkpoint: Optional[ConfigDict] = (cfg.get('default_hooks')
                                        or {}).get('checkpoint')
    if checkpoint and checkpoint.get('by_epoch', True):
        scale(checkpoint, 'interval', 'default_hooks.checkpoint.interval')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for i, scheduler in enumerate(schedulers):
        if not scheduler.get('by_epoch', True):
            continue
        for key in ('milestones', 'step_size'):
            if key in scheduler:
                raise ValueError(
                    f'param_scheduler {i} ({scheduler.get("type")}) has '
                    f'{key!r}, which the budget in clips does not scale')
        for key in SCHEDULER_EPOCH_KEYS:
            scale(scheduler, key, f'param_scheduler.{i}.{key}',
                  0 if key == 'begin' else 1)
    schedule = (cfg.get('model') or {}).get('loss_schedule')
    if schedule and schedule.get('by_epoch', True):
        for key in ('distill_only', 'ce_ramp'):
            scale(schedule, key, f'model.loss_schedule.{key}', 0)
    return changed
