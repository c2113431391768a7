# Copyright (c) tsdistill authors. All rights reserved.
"""Save a two-stream checkpoint from the RGB and flow runs it names.

mmaction2's ``tools/test.py`` needs one checkpoint for the whole model::

    python tools/misc/fuse_two_stream.py \
        configs/recognition/r3d18/r3d18_8xb8-25x1x1-100e_hmdb51-split1-two-stream.py \
        two_stream.pth
    python tools/test.py <same config> two_stream.pth
"""  # noqa: E501
import argparse
import pickle
import sys

from mmengine.config import Config, DictAction

import tsdistill  # noqa: F401
from tsdistill.models.recognizers import checkpoint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='two-stream experiment config')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.rgb_ckpt=path.pth')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        sources = checkpoint.fuse_two_stream_checkpoint(cfg, args.dst)
    except (checkpoint.CheckpointReadError, FileNotFoundError,
            pickle.UnpicklingError, ValueError) as error:
        # ValueError: e.g. streams of different class counts
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {args.dst} from {sources[0]} and {sources[1]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
