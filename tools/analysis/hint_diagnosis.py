# Copyright (c) tsdistill authors. All rights reserved.
"""What part of the teacher's features trained students reproduce.

Example (the students of the main job, one run directory each)::

    python tools/analysis/hint_diagnosis.py \
        work_dirs/mixed/split1_seed*/r3d18slim_*-distill

Per run and distillation term: the hint loss the student reached, the
loss of the teacher's average map (the same for every clip), of the
class's average map, and the share of the class-related part learned. See
:mod:`tsdistill.analysis.hint_diagnosis`.
"""
import argparse

import tsdistill  # noqa: F401
from tsdistill.analysis.hint_diagnosis import hint_diagnosis


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('run_dirs', nargs='+', help='student work dirs')
    parser.add_argument(
        '--ann-file',
        default=None,
        help='list of clips (default: the run\'s training list)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    reports = {}
    for run_dir in args.run_dirs:
        report = hint_diagnosis(run_dir, ann_file=args.ann_file)
        reports[run_dir] = report
        print(run_dir)
        print(f'  {"term":<28} {"student":>8} {"mean":>8} {"class":>8} '
              f'{"learned":>8} clips')
        for key, row in report.items():
            print(f'  {key:<28} {row["student"]:>8.4f} {row["mean"]:>8.4f} '
                  f'{row["class_mean"]:>8.4f} {row["learned"]:>8.2f} '
                  f'{row["clips"]}')
    return reports


if __name__ == '__main__':
    main()
