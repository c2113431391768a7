# Copyright (c) tsdistill authors. All rights reserved.
"""Accuracy and speed of M1 (TVL1OpticalFlow) against OpenCV's DualTVL1.

Synthetic pairs with known flow at each ``--sizes``: EPE and ms per frame
pair of M1's presets and of OpenCV's DualTVL1, side by side, and JSON
(``--out``). See :mod:`tsdistill.apis.flow_benchmark`. Run::

    python tools/benchmarks/flow_benchmark.py --out work_dirs/flow_bench.json
"""
import argparse

from tsdistill.apis.flow_benchmark import synthetic_benchmark


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[112, 224])
    parser.add_argument(
        '--pairs-per-motion',
        type=int,
        default=6,
        help='pairs of each motion kind (4 kinds)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None, help='JSON output')
    args = parser.parse_args(argv)
    return synthetic_benchmark(**vars(args))


if __name__ == '__main__':
    main()
