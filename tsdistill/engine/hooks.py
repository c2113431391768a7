# Copyright (c) tsdistill authors. All rights reserved.
"""Hooks of the Runner: resumed runs continue exactly where the killed one
was; the checkpoint to load or resume from is checked before it is loaded.
"""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from ..models.recognizers.checkpoint import check_checkpoint_to_load

CHECKPOINT_KEY = 'random_state'


def get_random_state() -> Dict[str, Any]:
    """This process's torch (CPU and CUDA), numpy and ``random`` states."""
    state = dict(
        torch=torch.get_rng_state(),
        numpy=np.random.get_state(),
        python=random.getstate())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore a state returned by :func:`get_random_state`."""
    torch.set_rng_state(state['torch'])
    np.random.set_state(state['numpy'])
    random.setstate(state['python'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random number generators' state in every checkpoint.

    mmengine's ``--resume`` restores weights, optimizer, schedulers, counters
    and (through ``seed + epoch``) the sampler's order, but not the state of
    the random number generators of the training processes: a resumed run
    re-seeds them, so dropout masks and any augmentation drawn in the main
    process (``num_workers=0``) differ from those of an uninterrupted run.
    This hook stores every rank's torch / numpy / ``random`` state in the
    checkpoint (key ``random_state``, one entry per rank) and restores its
    own on resume, so the resumed run draws the same numbers.

    It also makes validation neutral to training randomness (the state is
    put back after each validation), since validation between two epochs
    happens after the checkpoint is written and a resumed run does not
    repeat it.

    Not covered: the state inside DataLoader worker processes. Workers
    started per epoch (``persistent_workers=False``) are re-seeded from the
    seed by mmengine's ``worker_init_fn`` and need nothing; persistent
    workers carry their state across epochs, which no checkpoint holds.

    Usage: ``custom_hooks = [dict(type='RandomStateHook')]``. Its priority
    is above the ``CheckpointHook``'s, so the state is taken before the
    checkpoint is saved.
    """

    priority = 'LOW'  # after the other hooks, before CheckpointHook

    def __init__(self) -> None:
        self._states: Optional[List[Dict[str, Any]]] = None
        self._before_val: Optional[Dict[str, Any]] = None

    def _capture(self) -> None:
        # all ranks take part; rank 0 writes the checkpoint
        self._states = all_gather_object(get_random_state())

    @staticmethod
    def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook):
                return hook
        return None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Capture before an iteration-based checkpoint."""
        hook = self._checkpoint_hook(runner)
        if hook is None or hook.by_epoch or get_world_size() == 1:
            return  # single process: captured when saving
        if self.every_n_train_iters(runner, hook.interval) or \
                self.is_last_train_iter(runner):
            self._capture()

    def after_train_epoch(self, runner) -> None:
        """Capture before an epoch-based checkpoint."""
        if get_world_size() > 1:
            self._capture()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store every rank's state (rank 0 saves)."""
        if get_world_size() == 1:
            self._capture()
        checkpoint[CHECKPOINT_KEY] = self._states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On resume, restore this rank's state."""
        if not getattr(runner, '_resume', False):
            return  # load_from (fine-tuning) starts fresh
        states = checkpoint.get(CHECKPOINT_KEY)
        if not states or len(states) != get_world_size():
            print_log(
                'RandomStateHook: the checkpoint holds no random state for '
                f'{get_world_size()} process(es); the resumed run draws '
                'different random numbers than an uninterrupted one.',
                'current',
                level=30)
            return
        set_random_state(states[get_rank()])

    def before_val(self, runner) -> None:
        self._before_val = get_random_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            set_random_state(self._before_val)
            self._before_val = None


@HOOKS.register_module()
class CheckpointCheckHook(Hook):
    """Check ``load_from`` / the file to resume from before the Runner does.

    mmengine's Runner loads ``load_from`` (also the checkpoint argument of
    ``tools/test.py``) or the file of ``--resume`` after ``before_run``;
    on a file that is not a checkpoint it fails with torch's error, which
    names no file, and a dict without a state dict gives no weights at all
    without an error (training starts from scratch). In ``before_run``
    this hook reads that file with
    :func:`~tsdistill.models.recognizers.checkpoint.check_checkpoint_to_load`
    (the reader of the teacher's and the streams' checkpoints), so such a
    file fails with an error naming it and what is wrong. The file is read
    twice (here and by the Runner).

    The plugin's ``tools/train.py`` and ``tools/test.py`` add this hook to
    every config (:mod:`tsdistill.engine.mmaction_tools`); with mmaction2's
    own tools, list it: ``custom_hooks = [dict(type='CheckpointCheckHook')]``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Check what ``Runner.load_or_resume`` is about to load."""
        if getattr(runner, '_has_loaded', False):
            return
        check_checkpoint_to_load(runner._load_from, runner._resume,
                                 runner.work_dir)
