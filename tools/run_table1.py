# Copyright (c) tsdistill authors. All rights reserved.
"""Train and test the four rows of the paper's Table 1, print the table.

Without ``--data-root``: generates the embedded dataset (HMDB51's layout;
``--mode binding``, which colour moves x how, by default, ``--mode
mixed``, colour x motion, or ``--mode motion``) and
runs the CPU demo configs (``configs/demo``). With ``--data-root`` pointing
at data in HMDB51's layout (``videos/<class>/*.avi`` and
``testTrainMulti_7030_splits/``): runs the paper-sized configs
(``configs/recognition/r3d18``), or the CPU ones with ``--configs demo``;
the number of classes is read from the data.

``--splits 1 2 3 --seeds 0 1 2`` runs every row once per split and seed
and reports mean +- std. Writes ``<work-dir>/<table-name>.{md,json}`` and
``flow_visualization.png``. ``--quick`` runs the quick check instead: all
four rows on a small slice of the embedded data in minutes, a smoke run
(:func:`tsdistill.jobs.table1.run_quick_check`). See
:mod:`tsdistill.jobs.table1`.
"""
import argparse

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

import tsdistill  # noqa: F401
from tsdistill.data_tools.synthetic_motion import MODES
from tsdistill.jobs.table1 import TABLE1_ROWS, run_quick_check, run_table1
from tsdistill.jobs.training_budget import SCHEDULES

DEFAULT_WORK_DIR = 'work_dirs/table1'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default=None)
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument(
        '--splits', type=int, nargs='+', default=[1], choices=(1, 2, 3))
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0],
        help='training seeds; every row runs once per split and seed')
    parser.add_argument(
        '--mode',
        choices=MODES,
        default='binding',
        help='embedded dataset: binding (two colours, one moves: which '
        'colour x which motion; the default), colour x motion classes, or '
        'motion only')
    parser.add_argument(
        '--configs',
        choices=('demo', 'paper'),
        default=None,
        help='CPU demo configs or paper-sized ones (default: demo for the '
        'embedded data, paper with --data-root)')
    parser.add_argument('--videos-per-class', type=int, default=40)
    parser.add_argument(
        '--data-seed',
        type=int,
        default=0,
        help='seed of the embedded dataset')
    parser.add_argument(
        '--rows',
        nargs='+',
        choices=[r.key for r in TABLE1_ROWS],
        help='rows to run (default: the paper\'s four; early-fusion is a '
        'reference row run when named)')
    parser.add_argument(
        '--row-config',
        nargs='+',
        action=DictAction,
        default=None,
        help='another config for a row, e.g. distill=my_student.py')
    parser.add_argument(
        '--table-name', default='table1', help='basename of the tables')
    parser.add_argument(
        '--retrain',
        action='store_true',
        help='train rows again even if their run holds a finished '
        'checkpoint of the same config')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default=None,
        help='overrides for every config, e.g. train_cfg.max_epochs=2')
    parser.add_argument(
        '--schedule',
        choices=SCHEDULES,
        default='epochs',
        help="the training budget: the configs' epochs, or (clips) the demo "
        "configs' epochs scaled so that the data's training videos give "
        "the embedded data's clips and steps")
    parser.add_argument('--no-visualize', action='store_true')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='the quick check: all four rows on a small slice of the '
        'embedded data of --mode in minutes (work_dirs/quick); a smoke '
        'run, not the result')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    init_default_scope('mmaction')
    if args.quick:
        run_quick_check(
            'work_dirs/quick'
            if args.work_dir == DEFAULT_WORK_DIR else args.work_dir,
            seeds=args.seeds,
            mode=args.mode,
            cfg_options=args.cfg_options,
            visualize=not args.no_visualize,
            reuse=not args.retrain)
        return
    run_table1(
        args.data_root,
        args.work_dir,
        splits=args.splits,
        seeds=args.seeds,
        videos_per_class=args.videos_per_class,
        data_seed=args.data_seed,
        rows=args.rows,
        cfg_options=args.cfg_options,
        visualize=not args.no_visualize,
        mode=args.mode,
        configs=args.configs,
        row_configs=args.row_config,
        table_name=args.table_name,
        reuse=not args.retrain,
        schedule=args.schedule)


if __name__ == '__main__':
    main()
