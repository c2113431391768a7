# Copyright (c) tsdistill authors. All rights reserved.
"""Generate the embedded dataset in HMDB51's layout.

Three modes (see :mod:`tsdistill.data_tools.synthetic_motion`): ``motion``
(classes = motions; the default: 8 classes x 40 videos of 24 frames at
40x40, about 7 s on 2 CPU cores), ``mixed`` (classes = isoluminant
object colours x motions, 2 x 4 by default; the main job's data) and
``binding`` (two objects of two isoluminant colours in every clip, one of
them moves; classes = the colour that moves x its motion, 2 x 4 by
default, where late fusion of RGB and flow is capped at 50 %)::

    python tools/data/synthetic/generate_motion_dataset.py \
        data/synthetic_motion --videos-per-class 40 --seed 0
    python tools/data/synthetic/generate_motion_dataset.py \
        data/synthetic_mixed --mode mixed --colours red blue \
        --classes move_left move_right move_up move_down
    python tools/data/synthetic/generate_motion_dataset.py \
        data/synthetic_binding --mode binding

Then prepare its annotations with the HMDB51 tool, as for real data::

    python tools/data/hmdb51/prepare_annotations.py \
        --videos-root data/synthetic_motion/videos \
        --splits-root data/synthetic_motion/testTrainMulti_7030_splits \
        --out-dir data/synthetic_motion/annotations
"""
import argparse
import inspect
import time

from tsdistill.data_tools.synthetic_motion import (COLOURS, MODES, MOTIONS,
                                                   generate_motion_dataset)

DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(
        generate_motion_dataset).parameters.items()
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'root', help='output folder (videos/, testTrainMulti_7030_splits/)')
    parser.add_argument(
        '--videos-per-class', type=int, default=DEFAULTS['videos_per_class'])
    parser.add_argument(
        '--num-frames', type=int, default=DEFAULTS['num_frames'])
    parser.add_argument(
        '--size',
        type=int,
        default=DEFAULTS['size'],
        help='frame height and width (decord misreads MJPG at 16, 24, 48 '
        'and 72; 32, 40, 56, 64, 80, 96, 112, 128 work)')
    parser.add_argument('--seed', type=int, default=DEFAULTS['seed'])
    parser.add_argument(
        '--mode',
        choices=MODES,
        default=DEFAULTS['mode'],
        help='motion: a class per motion; mixed: a class per colour x '
        'motion; binding: a class per colour that moves x motion')
    parser.add_argument(
        '--classes',
        nargs='+',
        choices=MOTIONS,
        default=None,
        help='motions (default: 8 for motion, 4 for mixed and binding; '
        'binding takes no zoom and no static)')
    parser.add_argument(
        '--colours',
        nargs='+',
        choices=tuple(COLOURS),
        default=None,
        help='mixed and binding modes: object colours (default: red blue; '
        'binding: two)')
    parser.add_argument(
        '--camera-drift',
        type=float,
        default=DEFAULTS['camera_drift'],
        help='binding mode: the camera\'s largest drift, px per frame '
        '(0: a still camera)')
    parser.add_argument(
        '--quiet', action='store_true', help='no line per class')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    counts = generate_motion_dataset(
        args.root,
        videos_per_class=args.videos_per_class,
        num_frames=args.num_frames,
        size=args.size,
        seed=args.seed,
        classes=args.classes,
        progress=not args.quiet,
        mode=args.mode,
        colours=args.colours,
        camera_drift=args.camera_drift)
    print(f'wrote {sum(counts.values())} videos of {len(counts)} classes '
          f'to {args.root} in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
