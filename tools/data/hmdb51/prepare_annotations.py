# Copyright (c) tsdistill authors. All rights reserved.
"""Write mmaction2 annotation lists for HMDB51 from its split files.

Example::

    python tools/data/hmdb51/prepare_annotations.py \
        --videos-root data/hmdb51/videos \
        --splits-root data/hmdb51/testTrainMulti_7030_splits \
        --out-dir data/hmdb51/annotations [--rawframes-root ...] [--strict]

See :mod:`tsdistill.datasets.hmdb51` and this folder's README.
"""
import argparse
import sys

from tsdistill.datasets.hmdb51 import (HMDB51AnnotationError,
                                       prepare_annotations)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos-root', required=True)
    parser.add_argument('--splits-root', required=True)
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--rawframes-root',
        default=None,
        help='extracted flow (tools/extract_flow.py)')
    parser.add_argument('--splits', type=int, nargs='+', default=[1, 2, 3])
    parser.add_argument(
        '--strict',
        action='store_true',
        help='any problem in the input is fatal')
    args = parser.parse_args(argv)
    try:
        summary = prepare_annotations(args.videos_root, args.splits_root,
                                      args.out_dir, args.rawframes_root,
                                      args.splits, args.strict)
    except (HMDB51AnnotationError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(summary.format())
    print(f'wrote {len(summary.files)} files to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
