# Copyright (c) tsdistill authors. All rights reserved.
"""Where a demo training iteration's time goes: the main job's rows.

Example::

    python tools/benchmarks/iteration_profile.py --threads 2   # ~4 min

Trains the RGB network, the teacher (M1 + M2) and the student of the
main job through mmengine's Runner on the embedded binding data and
prints, row by row, the mean ms per iteration of each part (DataLoader
wait, preprocessing, M1, the teacher's M2, forward, loss terms, backward,
optimizer step, hooks and logging); ``--contiguous-too`` runs each row
once more without the configs' ``ChannelsLastHook``. See
:func:`tsdistill.benchmarks.iteration_profile.iteration_profile_benchmark`.
"""
import argparse

import tsdistill  # noqa: F401
from tsdistill.benchmarks import iteration_profile


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument(
        '--rows',
        nargs='+',
        choices=list(iteration_profile.CONFIGS),
        default=None)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads (default: torch default)')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument(
        '--contiguous-too',
        action='store_true',
        help='run each row once more with its backbones contiguous '
        '(without the configs\' ChannelsLastHook)')
    parser.add_argument(
        '--out', default='work_dirs/benchmarks/iteration_profile.json')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    return iteration_profile.iteration_profile_benchmark(
        **vars(parse_args(argv)))


if __name__ == '__main__':
    main()
