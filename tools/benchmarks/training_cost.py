# Copyright (c) tsdistill authors. All rights reserved.
"""Seconds per training iteration: the demo teacher (M1 + M2) against RGB.

Example::

    python tools/benchmarks/training_cost.py    # 3 epochs per row, ~3 min

Trains the demo configs through mmengine's Runner on the embedded
motion-only data (its DataLoader worker running) and prints each row's
median seconds per iteration and teacher / RGB. See
:func:`tsdistill.benchmarks.training_cost.training_cost_benchmark`.
"""
import argparse

import tsdistill  # noqa: F401
from tsdistill.benchmarks.training_cost import training_cost_benchmark


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument(
        '--no-eager',
        dest='eager',
        action='store_false',
        help="skip the teacher with M1's eager ops")
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads (default: torch default)')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument(
        '--out', default='work_dirs/benchmarks/training_cost.json')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    return training_cost_benchmark(**vars(parse_args(argv)))


if __name__ == '__main__':
    main()
