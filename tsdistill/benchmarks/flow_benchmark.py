# Copyright (c) tsdistill authors. All rights reserved.
"""Accuracy and speed of M1 (TVL1OpticalFlow) against OpenCV's DualTVL1.

Synthetic pairs with known flow (``tsdistill.benchmarks.flow_synthetic``: an
analytic texture, translations, rotations, zooms and smooth deformations
with magnitudes proportional to the frame size, sensor noise, uint8
frames; fixed seed), at each of ``sizes``. For M1 at its default setting,
at its fast preset (``TVL1OpticalFlow.FAST_PRESET``) and for OpenCV's
``DualTVL1OpticalFlow_create()`` (its defaults, greyscale uint8 input)
:func:`synthetic_benchmark` prints the average end-point error against the
ground truth and the milliseconds per frame pair, side by side, and writes
JSON (``out``).

EPE is averaged over the pixels whose target ``x + f(x)`` lies inside the
second frame (the others left the view), excluding a border of 5 % of the
frame side on each side, then over the pairs.

Time per pair: OpenCV, median (and min) over the pairs (one call each);
M1, a ``(1, 3, 25, H, W)`` clip (24 pairs in one batched call), median
(and min) over ``repeats`` calls after a warm-up, divided by 24. Both on
``threads`` CPU threads, M1 under ``torch.no_grad``. Speed-ups are
printed from the medians and from the minima (the min is the less
disturbed by other processes on a shared machine; with them, prefer
``threads=1``, see ``TVL1OpticalFlow``'s CPU note).

Real frames with ground truth (:func:`real_benchmark`): the Middlebury
sequences (Baker et al., "A Database and Evaluation Methodology for
Optical Flow", IJCV 2011) or FlyingChairs-style pairs (Dosovitskiy et al.,
"FlowNet", ICCV 2015), read by :mod:`tsdistill.benchmarks.optical_flow_pairs`.
Per pair, the EPE over the pixels whose flow is known (all of them, no
border: Middlebury's own evaluation) and the milliseconds per pair of
OpenCV's DualTVL1 (as above, one call) and of M1 at each preset (the pair
as a ``(1, 3, 2, H, W)`` clip: one untimed call gives the flow and warms
up, then the median and min of ``repeats`` calls); then the means over the
pairs, and the speed-up as OpenCV's mean time over the method's.
:func:`run_flow_benchmark` runs any of the sources and writes one JSON.
"""
import contextlib
import os
import platform
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from ..models.flow import TVL1OpticalFlow
from ..models.flow.opencv_tvl1 import dual_tvl1_flow
from ..utils.json_report import write_json_report
from ..utils.markdown import markdown_table
from ..utils.timing import busy_neighbour, interleaved_times
from . import flow_synthetic as fs
from .optical_flow_pairs import FlowPair, flying_chairs_pairs, middlebury_pairs

CLIP_LEN = 25

#: M1's presets on real frames: name -> keyword arguments.
PRESETS = dict(
    default=dict(),
    fast=TVL1OpticalFlow.FAST_PRESET,
    accurate=TVL1OpticalFlow.ACCURATE_PRESET)

#: Row labels of the real-data tables.
LABELS = dict(
    opencv='OpenCV DualTVL1',
    default='`TVL1OpticalFlow()`',
    fast='`TVL1OpticalFlow.fast()`',
    accurate='`TVL1OpticalFlow.accurate()`')

#: Above this many pairs the tables give only the means (the JSON has all).
MAX_TABLE_COLUMNS = 8


def _machine(threads: int) -> dict:
    return dict(
        cpus=os.cpu_count(),
        threads=threads,
        torch=torch.__version__,
        opencv=cv2.__version__,
        python=platform.python_version())


def _epe_per_kind(pairs: list, flows: List[np.ndarray],
                  border: int) -> Dict[str, float]:
    per_kind: Dict[str, list] = {}
    for (kind, _, _, gt), flow in zip(pairs, flows):
        per_kind.setdefault(kind, []).append(
            fs.epe(flow, gt, fs.valid_mask(gt, border)))
    out = {k: float(np.mean(v)) for k, v in per_kind.items()}
    out['all'] = float(np.mean(sum(per_kind.values(), [])))
    return out


def bench_opencv(pairs: list, border: int) -> dict:
    """OpenCV's DualTVL1 (defaults, greyscale uint8) on every pair."""
    flows, times = [], []
    for _, f0, f1, _ in pairs:
        flows.append(dual_tvl1_flow([f0, f1], times)[0])
    return dict(
        epe=_epe_per_kind(pairs, flows, border),
        ms_per_pair=1000 * float(np.median(times)),
        ms_per_pair_min=1000 * float(np.min(times)),
        ms_per_pair_mean=1000 * float(np.mean(times)))


def bench_module(module: TVL1OpticalFlow, pairs: list, clip: torch.Tensor,
                 border: int, repeats: int) -> dict:
    """M1's EPE on ``pairs`` and its time per pair on ``clip``."""
    # all pairs as N clips of T=2 frames: (N, 3, 2, H, W)
    x = torch.from_numpy(np.stack([np.stack([p[1], p[2]]) for p in pairs]))
    x = x.permute(0, 4, 1, 2, 3).float()
    with torch.no_grad():
        flows = module(x)[:, :, 0].permute(0, 2, 3, 1).numpy()
        module(clip)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            module(clip)
            times.append(time.perf_counter() - t0)
    pairs_per_clip = clip.shape[2] - 1
    return dict(
        epe=_epe_per_kind(pairs, list(flows), border),
        ms_per_pair=1000 * float(np.median(times)) / pairs_per_clip,
        ms_per_pair_min=1000 * float(np.min(times)) / pairs_per_clip)


def synthetic_benchmark(sizes: Sequence[int] = (112, 224),
                        pairs_per_motion: int = 6,
                        repeats: int = 3,
                        threads: int = 2,
                        seed: int = 0,
                        out: Optional[str] = None) -> dict:
    """OpenCV and M1's presets on synthetic pairs at each of ``sizes``.

    Args:
        sizes (Sequence[int]): Frame sides (square frames).
        pairs_per_motion (int): Pairs of each motion kind (4 kinds).
        repeats (int): Timed calls of M1 on the 25-frame clip.
        threads (int): torch and OpenCV CPU threads.
        seed (int): Seed of the pairs and the clip.
        out (str, optional): JSON output path.

    Returns:
        dict: Settings, machine, per-size results and the 112x112 targets.
    """
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    settings = {
        'module default': TVL1OpticalFlow(),
        'module fast': TVL1OpticalFlow.fast(),
    }
    results = dict(
        settings=dict(default=dict(), fast=dict(TVL1OpticalFlow.FAST_PRESET)),
        machine=_machine(threads),
        sizes={})
    start = time.perf_counter()
    for size in sizes:
        pairs = fs.make_pairs(pairs_per_motion, size, size, seed)
        border = max(1, int(round(0.05 * size)))
        clip = torch.from_numpy(
            fs.make_translation_clip(CLIP_LEN, size, size, seed=seed))
        clip = clip.permute(3, 0, 1, 2).unsqueeze(0).float()
        res = {'opencv': bench_opencv(pairs, border)}
        for name, module in settings.items():
            res[name] = bench_module(module, pairs, clip, border, repeats)
        cv_ms = res['opencv']['ms_per_pair']
        for name in settings:
            res[name]['speedup_vs_opencv'] = cv_ms / res[name]['ms_per_pair']
            res[name]['speedup_vs_opencv_min'] = (
                res['opencv']['ms_per_pair_min'] /
                res[name]['ms_per_pair_min'])
            res[name]['epe_ratio_vs_opencv'] = (
                res[name]['epe']['all'] / res['opencv']['epe']['all'])
        res['num_pairs'] = len(pairs)
        results['sizes'][str(size)] = res
        _print_size(size, res)
    results['targets_112'] = _targets(results['sizes'].get('112'))
    results['seconds'] = time.perf_counter() - start
    if results['targets_112']:
        print('targets at 112x112:')
        for k, v in results['targets_112'].items():
            print(f'  {k}: {v}')
    print(f"total {results['seconds']:.0f} s")
    if out:
        write_json_report(out, results)
        print(f'wrote {out}')
    return results


def _print_size(size: int, res: dict) -> None:
    kinds = [k for k in res['opencv']['epe'] if k != 'all']
    print(f"\n{size}x{size}, {res['num_pairs']} pairs "
          f'(M1 timed on a {CLIP_LEN}-frame clip, {CLIP_LEN - 1} pairs)')
    head = (f"{'method':<16}{'EPE':>8}" + ''.join(f'{k[:11]:>12}'
                                                  for k in kinds) +
            f"{'ms/pair':>10}{'speed-up':>10}{'min ms':>9}{'speed-up':>10}")
    print(head)
    print('-' * len(head))
    for name in ('opencv', 'module default', 'module fast'):
        r = res[name]
        speed = r.get('speedup_vs_opencv', 1.0)
        speed_min = r.get('speedup_vs_opencv_min', 1.0)
        print(f"{name:<16}{r['epe']['all']:>8.3f}" +
              ''.join(f"{r['epe'][k]:>12.3f}" for k in kinds) +
              f"{r['ms_per_pair']:>10.1f}{speed:>9.1f}x"
              f"{r['ms_per_pair_min']:>9.1f}{speed_min:>9.1f}x")


def _targets(res) -> dict:
    if not res:
        return {}
    d, f, cv = res['module default'], res['module fast'], res['opencv']
    return {
        'default EPE <= OpenCV EPE': bool(d['epe']['all'] <= cv['epe']['all']),
        'default >= 5x OpenCV': bool(d['speedup_vs_opencv'] >= 5),
        'fast >= 20x OpenCV': bool(f['speedup_vs_opencv'] >= 20),
        'fast EPE <= 1.5x OpenCV EPE': bool(f['epe_ratio_vs_opencv'] <= 1.5),
    }


def pair_epe(flow: np.ndarray, pair: FlowPair) -> float:
    """Average end-point error over the pixels with known flow.

    Args:
        flow (np.ndarray): ``(H, W, 2)`` estimated flow.
        pair (FlowPair): The pair with its ground truth and mask.

    Returns:
        float: Mean of ``|flow - gt|_2`` over ``pair.valid``.
    """
    if not pair.valid.any():
        raise ValueError(f'{pair.name}: no pixel with known flow')
    return fs.epe(flow, pair.flow, pair.valid)


def opencv_pair_flow(pair: FlowPair) -> Tuple[np.ndarray, float]:
    """OpenCV's DualTVL1 (defaults, greyscale uint8): flow and seconds."""
    times: List[float] = []
    flow = dual_tvl1_flow([pair.frame0, pair.frame1], times)[0]
    return flow, times[0]


def module_pair_flow(module: TVL1OpticalFlow, pair: FlowPair,
                     repeats: int) -> Tuple[np.ndarray, List[float]]:
    """M1 on one pair: flow (untimed call) and ``repeats`` timed calls."""
    x = torch.from_numpy(np.stack([pair.frame0, pair.frame1]))
    x = x.permute(3, 0, 1, 2).unsqueeze(0).float()  # (1, 3, 2, H, W)
    times = []
    with torch.no_grad():
        flow = module(x)[0, :, 0].permute(1, 2, 0).numpy()
        for _ in range(repeats):
            t0 = time.perf_counter()
            module(x)
            times.append(time.perf_counter() - t0)
    return flow, times


def method_name(preset: str, backend: str = 'auto') -> str:
    """A row's key: the preset, and the M1 backend unless ``'auto'``."""
    return preset if backend == 'auto' else f'{preset} ({backend})'


def build_methods(presets: Sequence[str], backends: Sequence[str]) -> dict:
    """``{method_name: TVL1OpticalFlow}`` for every preset and backend."""
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        raise ValueError(f'unknown presets {unknown}, expected some of '
                         f'{list(PRESETS)}')
    return {
        method_name(p, b): TVL1OpticalFlow(**PRESETS[p], backend=b)
        for p in presets
        for b in backends
    }


def real_benchmark(
    pairs: Sequence[FlowPair],
    presets: Sequence[str] = tuple(PRESETS),
    repeats: int = 3,
    opencv: bool = True,
    log: Optional[Callable[[str], None]] = print,
    backends: Sequence[str] = ('auto', )
) -> dict:
    """EPE and ms per pair of OpenCV and M1's presets on real pairs.

    Args:
        pairs (Sequence[FlowPair]): Frames with ground truth.
        presets (Sequence[str]): Keys of :data:`PRESETS`.
        repeats (int): Timed calls of M1 per pair (>= 1).
        opencv (bool): Run OpenCV's DualTVL1 too (the speed-up reference).
        log (callable, optional): Progress lines. Defaults to ``print``.
        backends (Sequence[str]): M1's ``backend`` settings to run each
            preset with (:func:`method_name`). Defaults to ``('auto', )``.

    Returns:
        dict: ``pairs``: per pair its ``name``, ``size`` ``[H, W]``,
        ``known`` (fraction of pixels with known flow) and per method
        ``epe``, ``ms_per_pair`` (median) and ``ms_per_pair_min``;
        ``mean``: per method the mean ``epe``, ``ms_per_pair`` and
        ``ms_per_pair_min`` over the pairs, and with OpenCV
        ``speedup_vs_opencv`` (ratio of the mean times).
    """
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    if not pairs:
        raise ValueError('no pairs to benchmark')
    modules = build_methods(presets, backends)
    methods = (['opencv'] if opencv else []) + list(modules)
    rows = []
    for pair in pairs:
        row = dict(
            name=pair.name,
            size=list(pair.shape),
            known=float(pair.valid.mean()))
        if opencv:
            flow, seconds = opencv_pair_flow(pair)
            row['opencv'] = dict(
                epe=pair_epe(flow, pair),
                ms_per_pair=1000 * seconds,
                ms_per_pair_min=1000 * seconds)
        for name, module in modules.items():
            flow, times = module_pair_flow(module, pair, repeats)
            row[name] = dict(
                epe=pair_epe(flow, pair),
                ms_per_pair=1000 * float(np.median(times)),
                ms_per_pair_min=1000 * float(np.min(times)))
        if log is not None:
            log(f'  {pair.name} ({pair.shape[1]}x{pair.shape[0]}): ' +
                ', '.join(f"{m} {row[m]['epe']:.3f} px "
                          f"{row[m]['ms_per_pair']:.0f} ms" for m in methods))
        rows.append(row)
    mean = {}
    for m in methods:
        mean[m] = {
            key: float(np.mean([r[m][key] for r in rows]))
            for key in ('epe', 'ms_per_pair', 'ms_per_pair_min')
        }
    if opencv:
        for m in methods:
            mean[m]['speedup_vs_opencv'] = (
                mean['opencv']['ms_per_pair'] / mean[m]['ms_per_pair'])
    return dict(
        methods=methods,
        presets={name: dict(PRESETS[name])
                 for name in presets},
        backends=list(backends),
        repeats=repeats,
        pairs=rows,
        mean=mean)


def _label(method: str) -> str:
    preset, _, backend = method.partition(' ')
    return LABELS.get(preset, preset) + (f' {backend}' if backend else '')


def real_tables(result: dict) -> str:
    """The tables of a :func:`real_benchmark` result, in markdown.

    EPE per pair (up to :data:`MAX_TABLE_COLUMNS` pairs), mean EPE, mean
    ms per pair and speed-up against OpenCV, one row per method; then, for
    few pairs, the ms per pair of each.
    """
    rows, methods = result['pairs'], result['methods']
    names = [r['name'] for r in rows]
    per_pair = len(rows) <= MAX_TABLE_COLUMNS
    cols = (names if per_pair else []) + ['mean EPE px', 'ms/pair (mean)']
    with_speed = 'opencv' in methods
    if with_speed:
        cols.append('speed-up')
    epe_rows = []
    for m in methods:
        cells = [f"{r[m]['epe']:.3f}" for r in rows] if per_pair else []
        cells += [
            f"{result['mean'][m]['epe']:.3f}",
            f"{result['mean'][m]['ms_per_pair']:.0f}"
        ]
        if with_speed:
            cells.append(f"{result['mean'][m]['speedup_vs_opencv']:.1f}x")
        epe_rows.append([_label(m)] + cells)
    tables = [markdown_table(['method'] + cols, epe_rows)]
    if per_pair:
        tables.append(
            markdown_table(
                ['ms/pair'] + names,
                [[_label(m)] + [f"{r[m]['ms_per_pair']:.0f}" for r in rows]
                 for m in methods]))
    return '\n\n'.join(tables)


def contention_benchmark(size: int = 112,
                         presets: Sequence[str] = ('default', ),
                         backends: Sequence[str] = ('eager', 'auto'),
                         threads: Sequence[int] = (1, 2),
                         repeats: int = 5,
                         seed: int = 0,
                         log: Optional[Callable[[str], None]] = print) -> dict:
    """M1's ms per pair quiet and beside a busy neighbour process.

    A ``(1, 3, 25, size, size)`` clip (24 pairs per call, under
    ``torch.no_grad``) is timed for every preset and backend at each torch
    thread count, first on the quiet machine, then while one other process
    runs a 1-thread matrix-multiply loop
    (:func:`~tsdistill.utils.timing.busy_neighbour`), as a DataLoader
    worker or a second job does in training. The methods of one setting are
    timed in interleaved rounds; the median is kept.

    Args:
        size (int): Frame side. Defaults to ``112``.
        presets (Sequence[str]): Keys of :data:`PRESETS`.
        backends (Sequence[str]): M1 backends (``'eager'``, ``'auto'``,
            ``'fused'``).
        threads (Sequence[int]): torch thread counts.
        repeats (int): Timed rounds per setting.
        seed (int): Seed of the clip.
        log (callable, optional): Progress lines. Defaults to ``print``.

    Returns:
        dict: ``rows``: per method, thread count and neighbour
        (``busy``) the median ``ms_per_pair``; ``table`` (markdown) with
        the busy / quiet ratios against the method's quiet 1-thread time.
    """
    clip = torch.from_numpy(
        fs.make_translation_clip(CLIP_LEN, size, size, seed=seed))
    clip = clip.permute(3, 0, 1, 2).unsqueeze(0).float()
    modules = build_methods(presets, backends)
    pairs = CLIP_LEN - 1
    old_threads = torch.get_num_threads()
    rows = []
    try:
        for busy in (False, True):
            with (busy_neighbour() if busy else contextlib.nullcontext()):
                for n in threads:
                    torch.set_num_threads(n)
                    with torch.no_grad():
                        times = interleaved_times(
                            {
                                m: (lambda f=f: f(clip))
                                for m, f in modules.items()
                            },
                            warmup=1,
                            repeats=repeats)
                    for m, t in times.items():
                        rows.append(
                            dict(
                                method=m,
                                threads=n,
                                busy=busy,
                                ms_per_pair=1000 * float(np.median(t)) /
                                pairs))
                    if log is not None:
                        log(f"  {'busy' if busy else 'quiet'}, {n} "
                            'thread(s): ' + ', '.join(
                                f"{r['method']} {r['ms_per_pair']:.1f} ms"
                                for r in rows[-len(modules):]))
    finally:
        torch.set_num_threads(old_threads)
    return dict(
        size=size,
        clip_len=CLIP_LEN,
        repeats=repeats,
        rows=rows,
        table=contention_table(rows))


def contention_table(rows: List[dict]) -> str:
    """Markdown: ms per pair per method and setting, and busy / quiet."""
    settings = sorted({(r['busy'], r['threads']) for r in rows})
    methods = list(dict.fromkeys(r['method'] for r in rows))
    ms = {
        (r['method'], r['busy'], r['threads']): r['ms_per_pair']
        for r in rows
    }
    head = [f"{'busy' if b else 'quiet'}, {n} thr" for b, n in settings]
    busy_cols = [(b, n) for b, n in settings if b]
    table = []
    for m in methods:
        quiet1 = ms.get((m, False, 1))
        cells = [f'{ms[(m, b, n)]:.1f}' for b, n in settings]
        cells += [
            f'{ms[(m, b, n)] / quiet1:.2f}x' if quiet1 else '-'
            for b, n in busy_cols
        ]
        table.append([_label(m)] + cells)
    return markdown_table(
        ['method (ms per pair)'] + head +
        [f'busy {n} thr / quiet 1 thr' for _, n in busy_cols], table)


def run_flow_benchmark(
    sizes: Optional[Sequence[int]] = None,
    middlebury: Optional[str] = None,
    flying_chairs: Optional[str] = None,
    max_pairs: Optional[int] = 24,
    downscale: int = 1,
    presets: Sequence[str] = tuple(PRESETS),
    pairs_per_motion: int = 6,
    repeats: int = 3,
    threads: int = 2,
    seed: int = 0,
    out: Optional[str] = None,
    backends: Sequence[str] = ('auto', ),
    contention: Sequence[int] = ()
) -> dict:
    """The synthetic, real-data and contention benchmarks, one JSON.

    Args:
        sizes (Sequence[int], optional): Sides of the synthetic benchmark
            (:func:`synthetic_benchmark`). Defaults to ``None``: 112 and
            224 when no real source is given, else no synthetic run.
        middlebury (str, optional): Middlebury root (see
            :func:`~tsdistill.benchmarks.optical_flow_pairs.middlebury_pairs`).
        flying_chairs (str, optional): FlyingChairs-style folder.
        max_pairs (int, optional): FlyingChairs pairs read (the first by
            name); ``None`` or ``0``: all. Defaults to ``24``.
        downscale (int): Integer down-scaling of the real pairs
            (:meth:`FlowPair.downscaled`). Defaults to ``1``.
        presets (Sequence[str]): M1's presets on real pairs.
        pairs_per_motion (int): Synthetic pairs per motion kind.
        repeats (int): Timed M1 calls (clip or pair).
        threads (int): torch and OpenCV CPU threads.
        seed (int): Seed of the synthetic pairs.
        out (str, optional): JSON output path.
        backends (Sequence[str]): M1 backends of the real-data and
            contention rows. Defaults to ``('auto', )``.
        contention (Sequence[int]): torch thread counts of
            :func:`contention_benchmark` (the presets and backends above,
            112x112); empty: not run. Defaults to ``()``.

    Returns:
        dict: The synthetic results at the top level (as
        :func:`synthetic_benchmark` returns them) if run, ``machine``, and
        per real source (``middlebury``, ``flying_chairs``) the
        :func:`real_benchmark` result with its ``root``, ``downscale`` and
        ``table`` (markdown); ``contention`` if run.
    """
    sources = dict(middlebury=middlebury, flying_chairs=flying_chairs)
    sources = {k: v for k, v in sources.items() if v}
    if sizes is None and not sources and not contention:
        sizes = (112, 224)
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    start = time.perf_counter()
    results: dict = {}
    if sizes:
        results = synthetic_benchmark(sizes, pairs_per_motion, repeats,
                                      threads, seed)
    results['machine'] = _machine(threads)
    for source, root in sources.items():
        if source == 'middlebury':
            pairs = middlebury_pairs(root)
        else:
            pairs = flying_chairs_pairs(root, max_pairs or None)
        pairs = [p.downscaled(downscale) for p in pairs]
        print(f'\n{source}: {len(pairs)} pairs from {root}' +
              (f', downscaled 1/{downscale}' if downscale > 1 else '') +
              f', {threads} thread(s)')
        res = real_benchmark(pairs, presets, repeats, backends=backends)
        res.update(root=root, downscale=downscale)
        res['table'] = real_tables(res)
        print(res['table'])
        results[source] = res
    if contention:
        print(f'\ncontention: a {CLIP_LEN}-frame 112x112 clip, quiet and '
              'beside a busy neighbour process')
        res = contention_benchmark(
            presets=presets,
            backends=backends,
            threads=contention,
            repeats=repeats,
            seed=seed)
        print(res['table'])
        results['contention'] = res
        torch.set_num_threads(threads)
    results['seconds'] = time.perf_counter() - start
    if sources or contention:
        print(f"total {results['seconds']:.0f} s")
    if out:
        write_json_report(out, results)
        print(f'wrote {out}')
    return results
