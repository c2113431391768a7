# Copyright (c) tsdistill authors. All rights reserved.
"""Generate the embedded motion-only dataset in HMDB51's layout.

Example::

    python tools/data/synthetic/generate_motion_dataset.py \
        data/synthetic_motion --videos-per-class 40 --seed 0

Then prepare its annotations with the HMDB51 tool, as for real data::

    python tools/data/hmdb51/prepare_annotations.py \
        --videos-root data/synthetic_motion/videos \
        --splits-root data/synthetic_motion/testTrainMulti_7030_splits \
        --out-dir data/synthetic_motion/annotations
"""
import argparse

from tsdistill.datasets.synthetic_motion import (DEFAULT_CLASSES, MOTIONS,
                                                 generate_motion_dataset)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root')
    parser.add_argument('--videos-per-class', type=int, default=40)
    parser.add_argument('--num-frames', type=int, default=24)
    parser.add_argument('--size', type=int, default=48)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--classes', nargs='+', choices=MOTIONS, default=list(DEFAULT_CLASSES))
    args = parser.parse_args(argv)
    counts = generate_motion_dataset(
        args.root,
        args.videos_per_class,
        args.num_frames,
        args.size,
        args.seed,
        args.classes,
        progress=True)
    print(f'wrote {sum(counts.values())} videos of {len(counts)} classes '
          f'to {args.root}')


if __name__ == '__main__':
    main()
