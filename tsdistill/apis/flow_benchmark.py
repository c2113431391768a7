# Copyright (c) tsdistill authors. All rights reserved.
"""Accuracy and speed of M1 (TVL1OpticalFlow) against OpenCV's DualTVL1.

Synthetic pairs with known flow (``tsdistill.utils.flow_synthetic``: an
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
"""
import json
import os
import os.path as osp
import platform
import time
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch

from tsdistill.models.flow import TVL1OpticalFlow
from tsdistill.utils import flow_synthetic as fs

CLIP_LEN = 25


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
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    flows, times = [], []
    for _, f0, f1, _ in pairs:
        g0 = cv2.cvtColor(f0, cv2.COLOR_RGB2GRAY)
        g1 = cv2.cvtColor(f1, cv2.COLOR_RGB2GRAY)
        t0 = time.perf_counter()
        flows.append(tvl1.calc(g0, g1, None))
        times.append(time.perf_counter() - t0)
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
        machine=dict(
            cpus=os.cpu_count(),
            threads=threads,
            torch=torch.__version__,
            opencv=cv2.__version__,
            python=platform.python_version()),
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
        if osp.dirname(out):
            os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(results, f, indent=2)
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
