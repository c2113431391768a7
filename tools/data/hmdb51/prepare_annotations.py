# Copyright (c) tsdistill authors. All rights reserved.
"""Write mmaction2 annotation lists for HMDB51 from its split files.

Example::

    python tools/data/hmdb51/prepare_annotations.py \
        --videos-root data/hmdb51/videos \
        --splits-root data/hmdb51/testTrainMulti_7030_splits \
        --out-dir data/hmdb51/annotations [--rawframes-root ...] [--strict]

Every listed video is checked first, crash-isolated: a truncated AVI from
its headers, every other video decoded frame by frame in worker processes
as mmaction2's ``DecordInit`` reads it (``--workers`` in parallel), so a
video that would crash decord during training is named here.

Exit status: 0 when the lists were written (issues, if any, are listed and
counted; a list that would be empty is not written and is an issue), 1
with ``--strict`` and any issue (nothing is written), when a folder is
missing, or when no list at all is left to write (no class folder, no
split file, split files without a train or test video, or an issue for
every video; the error says which). See
:mod:`tsdistill.data_tools.hmdb51_annotations` and this folder's README.md.
"""
import argparse
import sys

from tsdistill.data_tools.hmdb51_annotations import (HMDB51AnnotationError,
                                                     prepare_annotations)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        '--videos-root',
        required=True,
        help='extracted videos, <videos-root>/<class>/<video>.avi')
    parser.add_argument(
        '--splits-root',
        required=True,
        help='testTrainMulti_7030_splits (<class>_test_split<k>.txt)')
    parser.add_argument(
        '--out-dir', required=True, help='where the lists are written')
    parser.add_argument(
        '--rawframes-root',
        default=None,
        help='rawframes of tools/extract_flow.py, <class>/<video>/'
        'x_%%05d.jpg and y_%%05d.jpg (flow) and img_%%05d.jpg (RGB '
        'frames); the rawframe lists then hold the folders it marked '
        'complete, with their counts (others are reported as incomplete), '
        'otherwise the counts come from the videos (frames; minus one for '
        'the flow)')
    parser.add_argument(
        '--splits', type=int, nargs='+', choices=(1, 2, 3), default=[1, 2, 3])
    parser.add_argument(
        '--no-probe',
        action='store_true',
        help='do not decode every video (faster; truncated or unreadable '
        'videos are then not found here, and rawframe lists are written '
        'only with --rawframes-root)')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes decoding the videos in parallel')
    parser.add_argument(
        '--timeout',
        type=float,
        default=300.0,
        help='seconds one video may take to decode (then: unreadable)')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='any problem in the input is fatal (exit status 1, nothing '
        'written)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        summary = prepare_annotations(
            args.videos_root,
            args.splits_root,
            args.out_dir,
            rawframes_root=args.rawframes_root,
            splits=args.splits,
            strict=args.strict,
            probe_videos=not args.no_probe,
            workers=args.workers,
            timeout=args.timeout)
    except (HMDB51AnnotationError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(summary.format())
    print(f'wrote {len(summary.files)} files to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
