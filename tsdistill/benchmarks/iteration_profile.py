# Copyright (c) tsdistill authors. All rights reserved.
"""Where a demo training iteration's time goes, row by row.

The main job's three trained rows (the RGB network M3, the teacher M1 +
M2, the student M3 distilled from it) train through mmengine's ``Runner``
on the embedded binding data for a few epochs, as in the main job but
for validation, checkpoints and visualisation
(:func:`~tsdistill.benchmarks.training_cost.timing_cfg`). A hook times
each iteration's parts with the wall clock: the wait for the DataLoader,
the data preprocessor, M1's flow, the teacher's M2 stages (the student
only: its hints), the trained model's forward, the loss terms, the
backward pass, the optimizer step (gradient clipping included), and the
hooks and logging around the step. The student's teacher is an untrained
one of the teacher's config: its weights do not change what it costs.
"""
import copy
import functools
import os.path as osp
import statistics
import tempfile
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import MODELS
from mmengine.runner import Runner, save_checkpoint

from ..utils.json_report import write_json_report
from ..utils.paths import shipped_path
from .training_cost import (check_epochs, demo_cfg, embedded_training_data,
                            timing_cfg)

#: The main job's trained rows (``tsdistill.jobs.table1.TABLE1_ROWS``).
CONFIGS = dict(
    rgb='demo/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-rgb.py',
    teacher='demo/r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py',
    student='demo/r3d18slim_1xb8-16x1x1-120e_synthetic-motion-distill.py')

#: The parts of an iteration, in the order they run; they add up to it.
PARTS = ('data', 'preprocess', 'M1 flow', 'teacher M2', 'forward',
         'loss terms', 'backward', 'optimizer step', 'zero_grad',
         'other in train_step', 'hooks and logging')


def _synchronize() -> None:
    """Wait for queued GPU work, so the wall clock times what ran."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class IterationProfileHook(Hook):
    """Times the parts of every training iteration (:data:`PARTS`).

    It wraps, on the model and the optim wrapper of the run, the calls a
    training step makes (``data_preprocessor``, ``loss``, the flow module
    M1, the student's and teacher's features, ``backward``, ``step``,
    ``zero_grad``, ``train_step``); the DataLoader wait is the time from
    the end of one iteration to the start of the next. ``records`` holds
    one dict of seconds per iteration, ``epochs`` its epoch; an
    :class:`IterationEndHook` (lowest priority) closes each iteration.
    """

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self.records: List[Dict[str, float]] = []
        self.epochs: List[int] = []
        self._current: Dict[str, float] = defaultdict(float)
        self._last_end: Optional[float] = None

    def _timed(self, name: str, fn: Callable) -> Callable:

        # wraps: keeps the attributes of fn (the parameter schedulers mark
        # the step they count with _with_counter)
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            _synchronize()
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            _synchronize()
            self._current[name] += time.perf_counter() - start
            return out

        return timed

    def _wrap(self, owner, attr: str, name: str) -> None:
        setattr(owner, attr, self._timed(name, getattr(owner, attr)))

    def before_train(self, runner) -> None:
        model = runner.model
        self._wrap(model, 'train_step', 'train_step')
        if is_model_wrapper(model):
            model = model.module
        self._wrap(model.data_preprocessor, 'forward', 'preprocess')
        self._wrap(model, 'loss', 'loss')
        teacher = getattr(model, 'teacher', None)
        flow = getattr(teacher if teacher is not None else model, 'flow', None)
        if flow is not None:
            self._wrap(flow, 'forward', 'M1 flow')
        if teacher is not None:
            self._wrap(model, 'teacher_features', 'teacher')
            self._wrap(model, 'student_features', 'student')
        for attr in ('backward', 'step', 'zero_grad'):
            self._wrap(runner.optim_wrapper, attr, attr)

    def before_train_epoch(self, runner) -> None:
        self._last_end = time.perf_counter()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._current = defaultdict(float)
        self._current['data'] = time.perf_counter() - self._last_end

    def end_iter(self, epoch: int) -> None:
        """Close the iteration of ``epoch``: called after every hook's
        ``after_train_iter`` (:class:`IterationEndHook`)."""
        end = time.perf_counter()
        self._current['iteration'] = end - self._last_end
        self._last_end = end
        self.records.append(dict(self._current))
        self.epochs.append(epoch)


class IterationEndHook(Hook):
    """Closes an :class:`IterationProfileHook`'s iteration after every
    other hook has run."""

    priority = 'LOWEST'

    def __init__(self, profile: IterationProfileHook) -> None:
        self.profile = profile

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.profile.end_iter(runner.epoch)


def iteration_parts(record: Dict[str, float]) -> Dict[str, float]:
    """One iteration's seconds by part (:data:`PARTS`), from the timed
    calls of :class:`IterationProfileHook`; they add up to the iteration.
    """
    flow = record.get('M1 flow', 0.0)
    loss = record['loss']
    if 'teacher' in record:  # the student: its features, then the terms
        teacher_m2 = record['teacher'] - flow
        forward = record['student']
        terms = loss - record['student'] - record['teacher']
    else:
        teacher_m2, terms = 0.0, 0.0
        forward = loss - flow
    step_calls = (
        record['preprocess'] + loss + record['backward'] + record['step'] +
        record['zero_grad'])
    hooks = record['iteration'] - record['data'] - record['train_step']
    # in the order of PARTS
    return dict(
        zip(PARTS,
            (record['data'], record['preprocess'], flow, teacher_m2, forward,
             terms, record['backward'], record['step'], record['zero_grad'],
             record['train_step'] - step_calls, hooks)))


def profile_run(cfg: Config, epochs: int) -> List[Dict[str, float]]:
    """Train ``cfg`` for ``epochs``; each iteration's seconds by part.

    Args:
        cfg (Config): A training config with its data set (work dir too).
        epochs (int): Epochs to train; the first is not returned (worker
            start-up, caches).

    Returns:
        list[dict]: One :func:`iteration_parts` per counted iteration, with
        ``'iteration'``, its whole time.
    """
    runner = Runner.from_cfg(timing_cfg(cfg, epochs))
    profile = IterationProfileHook()
    runner.register_hook(profile)
    runner.register_hook(IterationEndHook(profile))
    runner.train()
    counted = []
    for record, epoch in zip(profile.records, profile.epochs):
        if epoch > 0:
            counted.append(
                dict(iteration_parts(record), iteration=record['iteration']))
    return counted


def summarize(iterations: List[Dict[str, float]]) -> Dict[str, object]:
    """Mean ms per part, its share of the mean iteration, and the median
    iteration."""
    mean_iteration = statistics.fmean(r['iteration'] for r in iterations)
    parts = {}
    for part in PARTS:
        mean = statistics.fmean(r[part] for r in iterations)
        parts[part] = dict(mean_ms=1e3 * mean, share=mean / mean_iteration)
    return dict(
        parts=parts,
        mean_ms=1e3 * mean_iteration,
        median_ms=1e3 * statistics.median(r['iteration'] for r in iterations),
        iterations=len(iterations))


def contiguous_cfg(cfg: Config) -> Config:
    """``cfg`` without its ``ChannelsLastHook``: the backbones in the
    contiguous layout.

    Args:
        cfg (Config): A config that lists ``ChannelsLastHook`` in
            ``custom_hooks``.

    Returns:
        Config: A copy; ``cfg`` is unchanged.

    Raises:
        ValueError: If ``cfg`` does not list the hook (nothing to compare).
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    kept = [h for h in hooks if h.get('type') != 'ChannelsLastHook']
    if len(kept) == len(hooks):
        raise ValueError(f'{cfg.filename} lists no ChannelsLastHook in '
                         'custom_hooks: its backbones are contiguous')
    cfg = copy.deepcopy(cfg)
    cfg.custom_hooks = kept
    return cfg


def untrained_teacher_checkpoint(teacher_config: str, path: str) -> str:
    """Save an untrained model of ``teacher_config`` as a checkpoint."""
    model = MODELS.build(Config.fromfile(teacher_config).model)
    model.init_weights()
    save_checkpoint(dict(state_dict=model.state_dict()), path)
    return path


def format_profile(report: Dict[str, object]) -> str:
    """The report as a Markdown table: ms and % per part, row by row."""
    rows = report['rows']
    names = list(rows)
    lines = [
        '| part | ' + ' | '.join(f'{n} ms (%)' for n in names) + ' |',
        '|---|' + '---|' * len(names)
    ]
    for part in PARTS:
        cells = []
        for name in names:
            p = rows[name]['parts'][part]
            cells.append(f'{p["mean_ms"]:.1f} ({100 * p["share"]:.0f})')
        lines.append(f'| {part} | ' + ' | '.join(cells) + ' |')
    lines.append('| **iteration, mean** | ' +
                 ' | '.join(f'**{rows[n]["mean_ms"]:.1f}**'
                            for n in names) + ' |')
    lines.append('| iteration, median | ' +
                 ' | '.join(f'{rows[n]["median_ms"]:.1f}'
                            for n in names) + ' |')
    return '\n'.join(lines)


def iteration_profile_benchmark(
        epochs: int = 3,
        rows: Optional[List[str]] = None,
        videos_per_class: int = 40,
        threads: Optional[int] = None,
        work_dir: Optional[str] = None,
        out: Optional[str] = None,
        contiguous_too: bool = False) -> Dict[str, object]:
    """Time the parts of the main job's training iterations, row by row.

    Args:
        epochs (int): Epochs per row, >= 2 (the first is not counted).
            Defaults to ``3``.
        rows (list[str], optional): Keys of :data:`CONFIGS`. Defaults to
            all three.
        videos_per_class (int): Size of the embedded binding data
            (``data/synthetic_binding``, generated if needed). Defaults to
            ``40``, the main job's.
        threads (int, optional): ``torch.set_num_threads`` for the
            training process. Defaults to torch's default.
        work_dir (str, optional): Where the runs log. Defaults to a
            temporary folder, removed at the end.
        out (str, optional): JSON report path. Defaults to ``None``.
        contiguous_too (bool): After each row, run it once more with the
            backbones contiguous (:func:`contiguous_cfg`), reported as
            ``'<row>, contiguous'``. Defaults to ``False``.

    Returns:
        dict: ``rows`` (per row: :func:`summarize`), ``table`` (Markdown)
        and the settings.
    """
    check_epochs(epochs)
    rows = list(rows or CONFIGS)
    unknown = sorted(set(rows) - set(CONFIGS))
    if unknown:
        raise ValueError(f'unknown rows {unknown}: use {list(CONFIGS)}')
    if threads is not None:
        torch.set_num_threads(threads)
    data_root = embedded_training_data('binding', videos_per_class)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in rows:
            cfg = demo_cfg(CONFIGS[name], data_root,
                           osp.join(work_dir or scratch, name))
            if name == 'student':
                teacher_config = shipped_path('configs', CONFIGS['teacher'])
                cfg.model.teacher_cfg = teacher_config
                cfg.model.teacher_ckpt = untrained_teacher_checkpoint(
                    teacher_config, osp.join(scratch, 'teacher.pth'))
                schedule = cfg.model.get('loss_schedule')
                if schedule and schedule.get('distill_only', 0) >= epochs:
                    # the first stage's CE weight is 0, not skipped: it
                    # costs what the rest does; shortened to fit the run
                    schedule.distill_only = epochs - 1
            runs = {name: cfg}
            if contiguous_too:
                runs[f'{name}, contiguous'] = contiguous_cfg(cfg)
            for key, run_cfg in runs.items():
                results[key] = summarize(profile_run(run_cfg, epochs))
                print_log(
                    f'{key}: {results[key]["mean_ms"]:.1f} ms per '
                    f'iteration (mean of {results[key]["iterations"]})',
                    'current')
    report = dict(
        rows=results,
        settings=dict(
            epochs=epochs,
            videos_per_class=videos_per_class,
            threads=torch.get_num_threads(),
            contiguous_too=contiguous_too,
            configs={name: CONFIGS[name]
                     for name in rows}))
    report['table'] = format_profile(report)
    print_log('\n' + report['table'], 'current')
    if out:
        write_json_report(out, report)
    return report
