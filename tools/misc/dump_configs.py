# Copyright (c) tsdistill authors. All rights reserved.
"""Dump every resolved config (and its model's size), or compare two dumps.

Before and after a change to ``configs/``::

    python tools/misc/dump_configs.py /tmp/cfgdump/before --params
    # ... change the configs ...
    python tools/misc/dump_configs.py /tmp/cfgdump/after --params
    python tools/misc/dump_configs.py --compare /tmp/cfgdump/before \
        /tmp/cfgdump/after

Environment variables the configs read (``HMDB51_SPLIT``, ...) apply as
when training; see :mod:`tsdistill.jobs.config_dump` for what is written.
"""
import argparse
import sys

import tsdistill  # noqa: F401  (registration)
from tsdistill.jobs.config_dump import compare_dumps, dump_configs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', nargs='?', help='where to dump')
    parser.add_argument(
        '--root',
        default='configs',
        help='configs folder (default: %(default)s)')
    parser.add_argument(
        '--params', action='store_true', help='build the models, count')
    parser.add_argument(
        '--compare',
        nargs=2,
        metavar=('BEFORE', 'AFTER'),
        help='compare two dumps instead; exit 1 if they differ')
    args = parser.parse_args(argv)
    if args.compare:
        lines = compare_dumps(*args.compare)
        print('\n'.join(lines) if lines else 'no differences')
        return 1 if lines else 0
    if not args.out_dir:
        parser.error('out_dir is required unless --compare')
    counts = dump_configs(args.root, args.out_dir, count_params=args.params)
    print(f'{len(counts)} configs dumped to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
