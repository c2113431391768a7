# Copyright (c) tsdistill authors. All rights reserved.
"""Latency and training cost of student, teacher and two-stream pipelines.

Example::

    python tools/benchmarks/latency.py                 # 25x112x112, b 1 & 8
    python tools/benchmarks/latency.py --frames 16 --size 56 --batch-sizes 1
    # torchvision's r3d_18 layout instead of mmaction2's ResNet3d layout
    python tools/benchmarks/latency.py --backbone with_pool1=False \
        with_pool2=False temporal_strides=1,2,2,2

Prints one line per measurement as it goes, then the table and the ratios,
and writes them as JSON (``--out``). See
:func:`tsdistill.benchmarks.latency.latency_benchmark`.
"""
import argparse

from mmengine.config import DictAction

import tsdistill  # noqa: F401
from tsdistill.benchmarks.latency import ROW_NAMES, latency_benchmark


def parse_args(argv=None):
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
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if min(args.repeats, args.repeats_larger) < 1 or args.warmup < 0:
        raise SystemExit('--repeats and --repeats-larger must be >= 1, '
                         '--warmup >= 0')
    return latency_benchmark(**vars(args))


if __name__ == '__main__':
    main()
