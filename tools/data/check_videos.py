# Copyright (c) tsdistill authors. All rights reserved.
"""Check the videos of mmaction2 video lists before training.

Every video is checked crash-isolated: a truncated AVI from its headers,
every other one read from memory as mmaction2's ``DecordInit`` reads it and
decoded frame by frame in worker processes, so a video that makes decord
fail, hang or crash (SIGSEGV) is named here instead of killing a run::

    python tools/data/check_videos.py \
        data/hmdb51/annotations/hmdb51_train_split_1_videos.txt \
        data/hmdb51/annotations/hmdb51_val_split_1_videos.txt \
        --data-root data/hmdb51/videos --workers 4

Prints one line per broken video (``<list>:<line>: <kind>: <message>``)
and a count; exit status 1 if any video is broken. A video of fewer than
``tsdistill.utils.video_check.MIN_FRAMES`` (2) frames is broken too (``too
short``): no flow can be computed from it, and ``tools/extract_flow.py``
refuses it.
``tools/data/hmdb51/prepare_annotations.py`` runs the same check while it
writes the lists.
"""
import argparse
import os.path as osp
import sys

from tsdistill.utils.video_check import probe_videos


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'ann_files', nargs='+', help='VideoDataset lists: <video> <label>')
    parser.add_argument('--data-root', default='', help='root of the videos')
    parser.add_argument(
        '--workers', type=int, default=1, help='decoding processes')
    parser.add_argument(
        '--timeout',
        type=float,
        default=300.0,
        help='seconds one video may take to decode (then: unreadable)')
    parser.add_argument(
        '--no-decode',
        action='store_true',
        help='only open each video and count its frames')
    args = parser.parse_args(argv)

    where = {}  # video path -> first (list, line)
    for ann_file in args.ann_files:
        with open(ann_file) as f:
            for number, line in enumerate(f, 1):
                parts = line.split()
                if parts:
                    where.setdefault(
                        osp.join(args.data_root, parts[0]), (ann_file, number))
    probes = probe_videos(
        list(where),
        decode=not args.no_decode,
        workers=args.workers,
        timeout=args.timeout)
    broken = [p for p in probes.values() if not p.ok]
    for probe in broken:
        ann_file, number = where[probe.path]
        print(f'{ann_file}:{number}: {probe.kind} video: {probe.message}')
    print(f'{len(probes)} videos checked, {len(broken)} broken')
    return 1 if broken else 0


if __name__ == '__main__':
    sys.exit(main())
