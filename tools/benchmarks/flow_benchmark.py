# Copyright (c) tsdistill authors. All rights reserved.
"""Accuracy and speed of M1 (TVL1OpticalFlow) against OpenCV's DualTVL1.

Synthetic pairs with known flow at each ``--sizes`` and / or real frames
with ground truth (``--middlebury ROOT``: Baker et al., IJCV 2011;
``--flying-chairs ROOT``: Dosovitskiy et al., ICCV 2015): EPE and ms per
frame pair of M1's presets and of OpenCV's DualTVL1, side by side (real
data: per pair and mean, as markdown tables), and JSON (``--out``). See
:mod:`tsdistill.benchmarks.flow_benchmark`. Run::

    python tools/benchmarks/flow_benchmark.py --out work_dirs/flow_bench.json
    python tools/benchmarks/flow_benchmark.py --threads 1 \\
        --middlebury ../shared/data/middlebury --out work_dirs/flow_mb.json
"""
import argparse

from tsdistill.benchmarks.flow_benchmark import PRESETS, run_flow_benchmark


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=None,
        help='synthetic pairs at these sides (default: 112 224, or none '
        'with --middlebury / --flying-chairs)')
    parser.add_argument(
        '--pairs-per-motion',
        type=int,
        default=6,
        help='pairs of each motion kind (4 kinds)')
    parser.add_argument(
        '--middlebury',
        default=None,
        metavar='ROOT',
        help='Middlebury root: <ROOT>/<Seq>/frame10.png, frame11.png, '
        'flow10.flo (or other-data/ + other-gt-flow/)')
    parser.add_argument(
        '--flying-chairs',
        default=None,
        metavar='ROOT',
        help='folder of <id>_img1.ppm|png, <id>_img2.*, <id>_flow.flo')
    parser.add_argument(
        '--max-pairs',
        type=int,
        default=24,
        help='FlyingChairs pairs, the first by name (0: all)')
    parser.add_argument(
        '--downscale',
        type=int,
        default=1,
        help='shrink the real pairs by this integer factor')
    parser.add_argument(
        '--presets',
        nargs='+',
        choices=list(PRESETS),
        default=list(PRESETS),
        help='M1 presets on real pairs')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None, help='JSON output')
    parser.add_argument(
        '--backends',
        nargs='+',
        choices=('auto', 'eager', 'fused'),
        default=['auto'],
        help='M1 backends of the real-data and contention rows')
    parser.add_argument(
        '--contention',
        type=int,
        nargs='*',
        default=(),
        metavar='THREADS',
        help='also time M1 on a 25-frame 112x112 clip, quiet and beside a '
        'busy neighbour process, at these torch thread counts (no value: '
        '1 2)')
    args = parser.parse_args(argv)
    if args.contention == []:
        args.contention = [1, 2]
    if args.repeats < 1 or args.downscale < 1 or args.max_pairs < 0:
        parser.error('--repeats and --downscale must be >= 1, '
                     '--max-pairs >= 0')
    return run_flow_benchmark(**vars(args))


if __name__ == '__main__':
    main()
