# Copyright (c) tsdistill authors. All rights reserved.
"""The paper's claim, measured: test latency and training cost.

One run, the same input clips for every row:

1. ``student``: the distilled student M3 (``DistillRecognizer3D``) at test
   time, i.e. R3D-18 on RGB; next to it a plain mmaction2 ``Recognizer3D``
   with the same backbone and head (``rgb_plain``);
2. ``teacher``: M1 (built-in TV-L1) + M2 (R3D-18 on flow);
3. ``two_stream``: RGB R3D-18 + M1 + M2, late fusion;
4. ``two_stream_opencv``: the classic pipeline, OpenCV's CPU DualTVL1 for
   every frame pair of the clip, then the flow R3D-18 and the RGB R3D-18;
5. ``train_plain`` / ``train_distill``: one SGD step (forward, backward,
   update) of the plain RGB ``Recognizer3D`` and of the distillation
   recognizer (teacher forward included).

Times are medians over ``repeats`` runs after ``warmup`` untimed runs, in
milliseconds per clip (inference) or seconds per step (training). The rows
of one batch size are timed in interleaved rounds (every row once per
round), so a slow spell of a shared machine hits all rows alike instead of
the one being timed, and the ratios stay stable.
"""
import inspect
import os.path as osp
import statistics
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

from ..models.flow.opencv_tvl1 import dual_tvl1_flow
from ..utils.json_report import write_json_report
from ..utils.markdown import markdown_table
from ..utils.paths import shipped_path
from ..utils.timing import environment, interleaved_times

#: How :meth:`LatencyBenchmark.gflops` counts, as the report records it
FLOPS_COUNT = ('mmengine get_model_complexity_info (FlopAnalyzer), as in '
               'mmaction2\'s model zoo: 1 FLOP per multiply-add of the '
               'convolutions (as torchvision; torch.utils.flop_counter '
               'counts 2), plus batch norm; the R3D-18 backbones only, M1 '
               'and the heads not counted')


def synthetic_clips(batch: int,
                    frames: int,
                    size: int,
                    seed: int = 0) -> torch.Tensor:
    """A smooth moving scene: ``(batch, 3, frames, size, size)`` in 0..255.

    A random texture (blurred noise) translated by a random sub-pixel
    velocity per clip, so optical flow has real work to do.
    """
    rng = np.random.default_rng(seed)
    clips = np.empty((batch, 3, frames, size, size), np.float32)
    for b in range(batch):
        big = rng.uniform(0, 255, (size * 2, size * 2, 3)).astype(np.float32)
        big = cv2.GaussianBlur(big, (0, 0), 2.0)
        big = (big - big.min()) / (np.ptp(big) + 1e-6) * 255
        vx, vy = rng.uniform(-1.5, 1.5, 2)
        for t in range(frames):
            shift = np.float32([[1, 0, -size / 2 + vx * t],
                                [0, 1, -size / 2 + vy * t]])
            frame = cv2.warpAffine(
                big,
                shift, (size, size),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT)
            clips[b, :, t] = frame.transpose(2, 0, 1)
    return torch.from_numpy(clips)


def opencv_tvl1_flow(clips: torch.Tensor) -> torch.Tensor:
    """OpenCV's DualTVL1 (default parameters) on every frame pair.

    Args:
        clips (Tensor): ``(N, 3, T, H, W)`` RGB in 0..255.

    Returns:
        Tensor: ``(N, 2, T-1, H, W)`` flow in pixels.
    """
    frames = clips.permute(0, 2, 3, 4, 1).numpy().astype(np.uint8)
    flow = np.stack([dual_tvl1_flow(clip) for clip in frames])
    return torch.from_numpy(flow).permute(0, 4, 1, 2, 3).contiguous()


def _model_cfg(name: str, num_classes: int) -> Config:
    cfg = Config.fromfile(shipped_path('configs', '_base_', 'models',
                                       name)).model
    for head in _find_heads(cfg):
        head['num_classes'] = num_classes
    return cfg


def _find_heads(cfg) -> List[dict]:
    heads = []
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key == 'cls_head' and isinstance(value, dict):
                heads.append(value)
            else:
                heads += _find_heads(value)
    return heads


def _samples(batch: int, num_classes: int) -> List[ActionDataSample]:
    return [
        ActionDataSample().set_gt_label(i % num_classes) for i in range(batch)
    ]


class LatencyBenchmark:
    """Builds the models once and times every row on the same clips.

    Args:
        frames (int): Frames per clip (T). Defaults to ``25``.
        size (int): Crop size (H = W). Defaults to ``112``.
        num_classes (int): Classes of every head. Defaults to ``51``.
        device (str): ``'cpu'`` or ``'cuda'``. Defaults to ``'cpu'``.
        backbone (dict, optional): Overrides merged into every R3D-18
            backbone config (e.g. ``dict(base_channels=8)`` for tiny runs).
            Defaults to ``None``.
    """

    def __init__(self,
                 frames: int = 25,
                 size: int = 112,
                 num_classes: int = 51,
                 device: str = 'cpu',
                 backbone: Optional[dict] = None) -> None:
        self.frames, self.size, self.device = frames, size, device
        self.num_classes = num_classes
        init_default_scope('mmaction')
        torch.manual_seed(0)
        rgb_cfg = _model_cfg('r3d18_rgb.py', num_classes)
        flow_cfg = _model_cfg('r3d18_tvl1_flow.py', num_classes)
        for cfg in (rgb_cfg, flow_cfg):
            cfg.backbone.update(backbone or {})
            if backbone and 'base_channels' in backbone:
                cfg.cls_head.in_channels = backbone['base_channels'] * 8
        self.rgb = MODELS.build(rgb_cfg)
        self.teacher = MODELS.build(flow_cfg)
        # the same teacher for the student, through its checkpoint
        self._tmp = tempfile.TemporaryDirectory()
        teacher_ckpt = osp.join(self._tmp.name, 'teacher.pth')
        save_checkpoint(
            dict(state_dict=self.teacher.state_dict()), teacher_ckpt)
        distill_cfg = Config(
            dict(
                type='DistillRecognizer3D',
                backbone=rgb_cfg.backbone,
                cls_head=rgb_cfg.cls_head,
                data_preprocessor=rgb_cfg.data_preprocessor,
                teacher_cfg=flow_cfg,
                teacher_ckpt=teacher_ckpt))
        self.student = MODELS.build(distill_cfg)
        self.student.load_state_dict(self.rgb.state_dict())
        self.two_stream = MODELS.build(
            dict(
                type='TwoStreamRecognizer3D',
                rgb_stream=rgb_cfg,
                flow_stream=flow_cfg,
                data_preprocessor=rgb_cfg.data_preprocessor))
        # the classic pipeline's flow stream reads precomputed flow
        opencv_flow_cfg = flow_cfg.copy()
        opencv_flow_cfg.flow_cfg = None
        opencv_flow_cfg.data_preprocessor = dict(
            type='ActionDataPreprocessor', format_shape='NCTHW')
        self.flow_only = MODELS.build(opencv_flow_cfg)
        for model in (self.rgb, self.teacher, self.student, self.two_stream,
                      self.flow_only):
            model.to(device).eval()

    def _predict(self, model, clips: torch.Tensor) -> Callable[[], object]:
        """One ``test_step`` on raw 0..255 clips (preprocessor included)."""
        data = dict(
            inputs=[c.unsqueeze(0) for c in clips],
            data_samples=_samples(len(clips), self.num_classes))

        def run():
            with torch.no_grad():
                return model.test_step(data)

        return run

    def _opencv_two_stream(self, clips: torch.Tensor,
                           flow_seconds: List[float]) -> Callable[[], object]:
        """The classic pipeline; each call appends its OpenCV share (s)."""

        def run():
            start = time.perf_counter()
            flow = opencv_tvl1_flow(clips)
            flow_seconds.append(time.perf_counter() - start)
            flow = torch.clamp(flow / self.teacher.flow_bound, -1, 1)
            with torch.no_grad():
                self._predict(self.rgb, clips)()
                feats, kwargs = self.flow_only.extract_feat(
                    flow.unsqueeze(1).to(self.device), test_mode=True)
                return self.flow_only.cls_head(feats, **kwargs)

        return run

    def _train_step(self, model, clips: torch.Tensor) -> Callable[[], object]:
        wrapper = build_optim_wrapper(
            model,
            dict(
                optimizer=dict(
                    type='SGD', lr=1e-4, momentum=0.9, weight_decay=5e-4)))
        data = dict(
            inputs=[c.unsqueeze(0) for c in clips],
            data_samples=_samples(len(clips), self.num_classes))

        def run():
            model.train()
            return model.train_step(data, wrapper)

        return run

    def gflops(self) -> Dict[str, float]:
        """GFLOPs of one clip through the RGB and the flow R3D-18 (M3, M2).

        Counted as mmengine's ``get_model_complexity_info`` counts (its
        ``FlopAnalyzer``; the figures of mmaction2's model zoo and of its
        ``get_flops`` tool): 1 FLOP per multiply-add of a convolution, as
        torchvision counts too (``torch.utils.flop_counter`` counts 2),
        plus batch norm. Backbones only (:data:`FLOPS_COUNT`): M1 and the
        heads are left out.
        """
        t, size = self.frames, self.size
        shapes = dict(
            rgb=(self.rgb, (1, 3, t, size, size)),
            flow=(self.teacher, (1, 2, t - 1, size, size)))
        flops = {}
        for name, (model, shape) in shapes.items():
            clip = torch.zeros(shape, device=self.device)
            analyzer = FlopAnalyzer(model.backbone, (clip, ))
            # the ops it does not count (pooling, additions, batch norm in
            # eval mode) are left out as get_model_complexity_info does
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            flops[name] = analyzer.total() / 1e9
        return flops

    def run(self,
            batch_sizes: Sequence[int] = (1, 8),
            train_batch: int = 2,
            warmup: int = 1,
            repeats: int = 5,
            rows: Optional[Sequence[str]] = None,
            log: Callable[[str], None] = print,
            larger_batch_repeats: Optional[int] = None) -> Dict[str, dict]:
        """Time every row; returns ``{row: {batch: value}}``.

        Inference rows are in ms per clip, training rows in s per step. The
        rows of a batch size are timed in interleaved rounds (see
        :func:`interleaved_times`): ``repeats`` rounds for the smallest
        batch size (the one :func:`ratios` uses) and for training,
        ``larger_batch_repeats`` (default: ``repeats``) for the others.
        Afterwards :attr:`samples` holds every timed call (``{row: {batch:
        [seconds]}}``) and :attr:`opencv_flow` the OpenCV share of the
        classic pipeline (``{batch: {'ms_per_clip': .., 'ms_per_pair':
        ..}}``).
        """
        results: Dict[str, dict] = {}
        self.samples: Dict[str, dict] = {}
        self.opencv_flow: Dict[int, dict] = {}
        wanted = set(rows or ROW_NAMES)
        if larger_batch_repeats is None:
            larger_batch_repeats = repeats
        for batch in batch_sizes:
            rounds = repeats if batch == min(batch_sizes) else \
                larger_batch_repeats
            clips = synthetic_clips(batch, self.frames, self.size)
            flow_seconds: List[float] = []
            timed = dict(
                rgb_plain=self._predict(self.rgb, clips),
                student=self._predict(self.student, clips),
                teacher=self._predict(self.teacher, clips),
                two_stream=self._predict(self.two_stream, clips),
                two_stream_opencv=self._opencv_two_stream(clips, flow_seconds))
            timed = {k: v for k, v in timed.items() if k in wanted}
            if not timed:
                continue
            log(f'batch {batch}: {len(timed)} rows, {warmup} warm-up '
                f'call(s) each, then {rounds} interleaved round(s)')
            times = interleaved_times(timed, warmup, rounds, log)
            for name, seconds in times.items():
                per_clip = 1000 * statistics.median(seconds) / batch
                results.setdefault(name, {})[batch] = per_clip
                self.samples.setdefault(name, {})[batch] = seconds
                log(f'  {name:<18} batch {batch}: {per_clip:9.1f} ms/clip')
            if flow_seconds:
                flow_ms = 1000 * statistics.median(
                    flow_seconds[-rounds:]) / batch
                self.opencv_flow[batch] = dict(
                    ms_per_clip=flow_ms,
                    ms_per_pair=flow_ms / (self.frames - 1))
                log(f'  of which OpenCV DualTVL1: {flow_ms:.1f} ms/clip, '
                    f'{flow_ms / (self.frames - 1):.1f} ms per frame pair')
        clips = synthetic_clips(train_batch, self.frames, self.size, seed=1)
        timed = {
            name: self._train_step(model, clips)
            for name, model in (('train_plain', self.rgb), ('train_distill',
                                                            self.student))
            if name in wanted
        }
        if timed:
            log(f'training, batch {train_batch}: {warmup} warm-up step(s) '
                f'each, then {repeats} interleaved round(s)')
            times = interleaved_times(timed, warmup, repeats, log)
            for name, seconds in times.items():
                step = statistics.median(seconds)
                results.setdefault(name, {})[train_batch] = step
                self.samples.setdefault(name, {})[train_batch] = seconds
                log(f'  {name:<18} batch {train_batch}: {step:9.3f} s/step')
        return results


ROW_NAMES = ('rgb_plain', 'student', 'teacher', 'two_stream',
             'two_stream_opencv', 'train_plain', 'train_distill')
#: each row as the table names it, with its unit
DESCRIPTIONS = dict(
    rgb_plain='plain mmaction2 Recognizer3D, R3D-18 RGB (ms/clip)',
    student='distilled student M3 at test time (ms/clip)',
    teacher='teacher M1 (built-in TV-L1) + M2 (ms/clip)',
    two_stream='two-stream, built-in TV-L1 (ms/clip)',
    two_stream_opencv='two-stream, OpenCV DualTVL1 flow (ms/clip)',
    train_plain='train step, plain RGB R3D-18 (s/step)',
    train_distill='train step, distillation recognizer (s/step)')


def ratios(results: Dict[str, dict]) -> Dict[str, Optional[float]]:
    """The issue's ratios, at batch 1 for inference (the smallest batch)."""

    def first(name):
        values = results.get(name, {})
        return values[min(values)] if values else None

    def ratio(a, b):
        a, b = first(a), first(b)
        return a / b if a and b else None

    return {
        'student / plain Recognizer3D':
        ratio('student', 'rgb_plain'),
        'teacher / plain Recognizer3D':
        ratio('teacher', 'rgb_plain'),
        'two-stream OpenCV / student':
        ratio('two_stream_opencv', 'student'),
        'two-stream built-in / student':
        ratio('two_stream', 'student'),
        'two-stream OpenCV / two-stream built-in':
        ratio('two_stream_opencv', 'two_stream'),
        'distill train step / plain train step':
        ratio('train_distill', 'train_plain'),
    }


def latency_benchmark(frames: int = 25,
                      size: int = 112,
                      batch_sizes: Sequence[int] = (1, 8),
                      train_batch: int = 2,
                      warmup: int = 1,
                      repeats: int = 5,
                      repeats_larger: int = 2,
                      threads: Optional[int] = None,
                      devices: Optional[Sequence[str]] = None,
                      rows: Optional[Sequence[str]] = None,
                      base_channels: Optional[int] = None,
                      backbone: Optional[dict] = None,
                      num_classes: int = 51,
                      out: Optional[str] = 'work_dirs/benchmarks/latency.json',
                      log: Callable[[str], None] = print) -> dict:
    """The latency benchmark of ``tools/benchmarks/latency.py``.

    On each device, one :class:`LatencyBenchmark`: its GFLOPs, every row
    timed (:meth:`LatencyBenchmark.run`), the table and the
    :func:`ratios`, logged as it goes; then the whole report as JSON.

    Args:
        frames (int): Frames per clip. Defaults to ``25``.
        size (int): Crop size. Defaults to ``112``.
        batch_sizes (Sequence[int]): Inference batch sizes. Defaults to
            ``(1, 8)``.
        train_batch (int): Batch of the training rows. Defaults to ``2``.
        warmup (int): Untimed calls first. Defaults to ``1``.
        repeats (int): Timed rounds at the smallest batch size (the
            ratios) and for training. Defaults to ``5``.
        repeats_larger (int): Timed rounds at the other batch sizes.
            Defaults to ``2``.
        threads (int, optional): Torch threads. Defaults to ``None``
            (torch's default).
        devices (Sequence[str], optional): Defaults to ``None``: ``cpu``,
            and ``cuda`` when present.
        rows (Sequence[str], optional): Rows of :data:`ROW_NAMES` to time.
            Defaults to ``None`` (all).
        base_channels (int, optional): A slim R3D-18 (64 is the real one).
            Defaults to ``None``.
        backbone (dict, optional): Overrides of every R3D-18 backbone
            config. Defaults to ``None``.
        num_classes (int): Classes of every head. Defaults to ``51``.
        out (str, optional): JSON output; ``None`` writes none. Defaults to
            ``'work_dirs/benchmarks/latency.json'``.
        log (callable): Where the lines and the table go. Defaults to
            ``print``.

    Returns:
        dict: ``settings`` (these arguments, ``devices`` resolved),
        ``environment``, and per device ``results`` (``{row: {batch:
        value}}``), ``samples``, ``opencv_flow``, ``gflops`` (counted as
        ``flops_count`` says: :data:`FLOPS_COUNT`) and ``ratios``.

    Raises:
        ValueError: ``repeats`` or ``repeats_larger`` below 1, or
            ``warmup`` below 0.
    """
    if min(repeats, repeats_larger) < 1 or warmup < 0:
        raise ValueError('repeats and repeats_larger must be >= 1, warmup '
                         f'>= 0; got {repeats}, {repeats_larger}, {warmup}')
    if threads:
        torch.set_num_threads(threads)
    devices = list(
        devices or (['cpu', 'cuda'] if torch.cuda.is_available() else ['cpu']))
    # every argument but log, in the signature's order, so that a new one
    # is recorded too; devices resolved, sequences as lists
    arguments = locals()
    settings = {
        name: arguments[name]
        for name in inspect.signature(latency_benchmark).parameters
        if name != 'log'
    }
    settings.update(
        batch_sizes=list(batch_sizes),
        rows=None if rows is None else list(rows))
    report = dict(
        settings=settings,
        environment=environment(),
        results={},
        samples={},
        opencv_flow={},
        gflops={},
        flops_count=FLOPS_COUNT,
        ratios={})
    log(f'environment: {report["environment"]}')
    backbone = dict(backbone or {})
    if base_channels:
        backbone['base_channels'] = base_channels
    for device in devices:
        log(f'[{device}] clips {frames}x{size}x{size}')
        bench = LatencyBenchmark(frames, size, num_classes, device, backbone
                                 or None)
        gflops = bench.gflops()
        report['gflops'][device] = gflops
        log('  R3D-18 backbone GFLOPs per clip (1 per multiply-add, '
            f'mmengine\'s count): RGB {gflops["rgb"]:.1f}, '
            f'flow {gflops["flow"]:.1f}')
        results = bench.run(
            batch_sizes,
            train_batch,
            warmup,
            repeats,
            rows,
            log=log,
            larger_batch_repeats=repeats_larger)
        report['results'][device] = results
        report['samples'][device] = bench.samples
        report['opencv_flow'][device] = bench.opencv_flow
        report['ratios'][device] = ratios(results)
        log(f'\n[{device}] median of {repeats} interleaved rounds '
            f'({repeats_larger} at larger batch sizes) after {warmup} '
            'warm-up call(s)')
        log(format_results(results))
        for batch, share in bench.opencv_flow.items():
            log(f'OpenCV DualTVL1 inside the classic row, batch {batch}: '
                f'{share["ms_per_clip"]:.1f} ms/clip, '
                f'{share["ms_per_pair"]:.1f} ms per frame pair')
        log('')
        for name, value in report['ratios'][device].items():
            log(f'  {name:<42} ' +
                ('n/a' if value is None else f'{value:.2f}'))
    if out:
        write_json_report(out, report)
        log(f'\nwrote {out}')
    return report


def format_results(results: Dict[str, dict]) -> str:
    """One device's times as a markdown table, a column per batch size.

    Inference rows in ms per clip (one decimal), training rows in s per
    step (three); a batch size a row was not timed at is left empty.
    """
    batches = sorted({b for r in results.values() for b in r})
    table = []
    for name in ROW_NAMES:
        if name not in results:
            continue
        table.append([DESCRIPTIONS[name]] + [
            f'{results[name][b]:.1f}'
            if name[:5] != 'train' and b in results[name] else
            (f'{results[name][b]:.3f}' if b in results[name] else '')
            for b in batches
        ])
    return markdown_table(['row'] + [f'batch {b}' for b in batches], table)
