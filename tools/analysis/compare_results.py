# Copyright (c) tsdistill authors. All rights reserved.
"""Print a Table-1-style comparison of several test runs.

Example::

    python tools/analysis/compare_results.py \
        rgb=work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-split1-rgb \
        tvl1=work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-split1-tvl1 \
        two-stream=work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-split1-two-stream \
        distill=work_dirs/r3d18_8xb8-25x1x1-100e_hmdb51-split1-distill \
        --reference

``--reference`` alone puts the paper's Table 1 beside the rows named
``rgb``, ``tvl1``, ``two-stream`` and ``distill``, and lists mmaction2's
published HMDB51 models below (``configs/recognition/r3d18/metafile.yml``);
``--reference configs/demo/metafile.yml`` compares with the CPU demo's
measured rows instead. Any metafile in mmaction2's model-zoo form works:
its models with a top-1 are matched by their ``Table 1 Row`` or name.

Several runs of a row (seeds, HMDB51's 3 splits) share a NAME and are
shown as one row, mean +- std::

    python tools/analysis/compare_results.py \
        rgb=work_dirs/split1/rgb rgb=work_dirs/split2/rgb \
        rgb=work_dirs/split3/rgb

Each run is ``NAME=PATH`` with PATH a test metrics json, a work directory
(newest test run in it) or a ``--dump`` ``.pkl``; see
:mod:`tsdistill.jobs.results_table` for what is read and how ms/clip is
computed.
"""
import argparse

from tsdistill.jobs.results_table import (aggregate_runs, format_table,
                                          load_reference, load_run,
                                          parse_run_spec)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', help='NAME=PATH of each run')
    parser.add_argument(
        '--reference',
        nargs='*',
        metavar='METAFILE',
        help='reference rows from metafile.yml files (mmaction2 model-zoo '
        'form); alone: the paper\'s Table 1 and mmaction2\'s HMDB51 models '
        '(configs/recognition/r3d18/metafile.yml)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    # runs sharing a NAME (seeds, splits) become one row: mean +- std
    runs = aggregate_runs(
        [load_run(*parse_run_spec(spec)) for spec in args.runs])
    if args.reference is None:
        reference = []
    else:
        reference = load_reference(args.reference or None)
    print(format_table(runs, reference))


if __name__ == '__main__':
    main()
