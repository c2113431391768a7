# Copyright (c) tsdistill authors. All rights reserved.
"""Latency and training cost of student, teacher and two-stream pipelines.

Example::

    python tools/benchmarks/latency.py                 # 25x112x112, b 1 & 8
    python tools/benchmarks/latency.py --frames 16 --size 56 --batch-sizes 1
    # torchvision's r3d_18 layout instead of mmaction2's ResNet3d layout
    python tools/benchmarks/latency.py --backbone with_pool1=False \
        with_pool2=False temporal_strides=1,2,2,2

Prints one line per measurement as it goes, then the table and the ratios,
and writes them as JSON (``--out``). See :mod:`tsdistill.apis.latency`.
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction

import tsdistill  # noqa: F401
from tsdistill.apis.latency import (ROW_NAMES, LatencyBenchmark, environment,
                                    ratios)

DESCRIPTIONS = dict(
    rgb_plain='plain mmaction2 Recognizer3D, R3D-18 RGB (ms/clip)',
    student='distilled student M3 at test time (ms/clip)',
    teacher='teacher M1 (built-in TV-L1) + M2 (ms/clip)',
    two_stream='two-stream, built-in TV-L1 (ms/clip)',
    two_stream_opencv='two-stream, OpenCV DualTVL1 flow (ms/clip)',
    train_plain='train step, plain RGB R3D-18 (s/step)',
    train_distill='train step, distillation recognizer (s/step)')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=25)
    parser.add_argument('--size', type=int, default=112)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed rounds at the smallest batch size (the ratios) and for '
        'training; the median is reported')
    parser.add_argument(
        '--repeats-larger',
        type=int,
        default=2,
        help='timed rounds at the other batch sizes')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads (default: torch default)')
    parser.add_argument(
        '--devices',
        nargs='+',
        default=None,
        help='default: cpu, and cuda when present')
    parser.add_argument('--rows', nargs='+', choices=ROW_NAMES, default=None)
    parser.add_argument(
        '--base-channels',
        type=int,
        default=None,
        help='slim R3D-18 (64 is the real one)')
    parser.add_argument(
        '--backbone',
        nargs='+',
        action=DictAction,
        default=None,
        help='overrides of every R3D-18 backbone config, key=value')
    parser.add_argument('--num-classes', type=int, default=51)
    parser.add_argument('--out', default='work_dirs/benchmarks/latency.json')
    return parser.parse_args()


def main():
    args = parse_args()
    if min(args.repeats, args.repeats_larger) < 1 or args.warmup < 0:
        raise SystemExit('--repeats and --repeats-larger must be >= 1, '
                         '--warmup >= 0')
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.devices or (['cpu', 'cuda']
                               if torch.cuda.is_available() else ['cpu'])
    report = dict(
        settings=dict(vars(args), devices=devices),
        environment=environment(),
        results={},
        samples={},
        opencv_flow={},
        gflops={},
        ratios={})
    print(f'environment: {report["environment"]}')
    backbone = dict(args.backbone or {})
    if args.base_channels:
        backbone['base_channels'] = args.base_channels
    for device in devices:
        print(f'[{device}] clips {args.frames}x{args.size}x{args.size}')
        bench = LatencyBenchmark(args.frames, args.size, args.num_classes,
                                 device, backbone or None)
        gflops = bench.gflops()
        report['gflops'][device] = gflops
        print(f'  R3D-18 backbone GFLOPs per clip: RGB {gflops["rgb"]:.1f}, '
              f'flow {gflops["flow"]:.1f}')
        results = bench.run(
            args.batch_sizes,
            args.train_batch,
            args.warmup,
            args.repeats,
            args.rows,
            larger_batch_repeats=args.repeats_larger)
        report['results'][device] = results
        report['samples'][device] = bench.samples
        report['opencv_flow'][device] = bench.opencv_flow
        report['ratios'][device] = ratios(results)
        batches = sorted({b for r in results.values() for b in r})
        print(f'\n[{device}] median of {args.repeats} interleaved rounds '
              f'({args.repeats_larger} at larger batch sizes) after '
              f'{args.warmup} warm-up call(s)')
        header = '| row | ' + ' | '.join(f'batch {b}' for b in batches)
        print(header + ' |')
        print('|---|' + '---|' * len(batches))
        for name in ROW_NAMES:
            if name not in results:
                continue
            cells = [
                f'{results[name][b]:.1f}'
                if name[:5] != 'train' and b in results[name] else
                (f'{results[name][b]:.3f}' if b in results[name] else '')
                for b in batches
            ]
            print(f'| {DESCRIPTIONS[name]} | ' + ' | '.join(cells) + ' |')
        for batch, share in bench.opencv_flow.items():
            print(f'OpenCV DualTVL1 inside the classic row, batch {batch}: '
                  f'{share["ms_per_clip"]:.1f} ms/clip, '
                  f'{share["ms_per_pair"]:.1f} ms per frame pair')
        print()
        for name, value in report['ratios'][device].items():
            print(f'  {name:<42} ' +
                  ('n/a' if value is None else f'{value:.2f}'))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'\nwrote {args.out}')


if __name__ == '__main__':
    main()
