# Copyright (c) tsdistill authors. All rights reserved.
"""Train and test the four rows of the paper's Table 1, print the table.

Without ``--data-root``: generates the embedded synthetic motion dataset
(HMDB51's layout) and runs the CPU demo configs (``configs/demo``). With
``--data-root`` pointing at an extracted HMDB51 download
(``videos/<class>/*.avi`` and ``testTrainMulti_7030_splits/``): runs the
paper-sized configs (``configs/recognition/r3d18``).

Writes ``<work-dir>/table1.{md,json}`` and ``flow_visualization.png``.
See :mod:`tsdistill.apis.table1`.
"""
import argparse

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

import tsdistill  # noqa: F401
from tsdistill.apis.table1 import TABLE1_ROWS, run_table1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--work-dir', default='work_dirs/table1')
    parser.add_argument('--split', type=int, default=1, choices=(1, 2, 3))
    parser.add_argument('--videos-per-class', type=int, default=40)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--rows', nargs='+', choices=[r.key for r in TABLE1_ROWS])
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default=None,
        help='overrides for every config, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--no-visualize', action='store_true')
    args = parser.parse_args()
    init_default_scope('mmaction')
    run_table1(args.data_root, args.work_dir, args.split,
               args.videos_per_class, args.seed, args.rows, args.cfg_options,
               not args.no_visualize)


if __name__ == '__main__':
    main()
