# Copyright (c) tsdistill authors. All rights reserved.
"""How much of a rotation M1 recovers: its flow's curl per class.

Example (the demo teacher's M1, then with lambda_=1.0; the data of
``tools/run_table1.py --mode motion``)::

    python tools/analysis/flow_curl.py
    python tools/analysis/flow_curl.py --flow-cfg lambda_=1.0

A rotation of w degrees per frame has a curl of 2 w pi / 180 per frame
(the motion-only data's rotations: 3-6 degrees, 0.10-0.21). See
:func:`tsdistill.analysis.flow_curl.flow_curl_by_class`.
"""
import argparse

from mmengine.config import DictAction

import tsdistill  # noqa: F401
from tsdistill.analysis.flow_curl import flow_curl_by_class
from tsdistill.utils.paths import shipped_path

#: The demo teacher's config, below the shipped configs.
DEMO_TEACHER = ('demo', 'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config',
        default=None,
        help='the teacher config whose M1 runs (default: the demo '
        "teacher's, configs/" + '/'.join(DEMO_TEACHER) + ' as shipped)')
    parser.add_argument('--data-root', default='data/synthetic_motion')
    parser.add_argument('--split', type=int, default=1)
    parser.add_argument(
        '--flow-cfg',
        nargs='+',
        action=DictAction,
        default=None,
        help="overrides of M1's config, key=value")
    parser.add_argument('--side', type=int, default=14)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    config = args.config or shipped_path('configs', *DEMO_TEACHER)
    stats = flow_curl_by_class(config, args.data_root, args.split,
                               args.flow_cfg, args.side)
    print(f'{"class":<16} {"mean curl":>10} {"std":>8} videos')
    for name, row in stats.items():
        print(f'{name:<16} {row["mean"]:>10.4f} {row["std"]:>8.4f} '
              f'{row["videos"]}')
    return stats


if __name__ == '__main__':
    main()
