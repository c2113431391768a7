# Copyright (c) tsdistill authors. All rights reserved.
"""Draw a video's M1 flow beside its RGB frames (the paper's Fig. 5).

Top row: frames ``start, start + stride, ...``; bottom row: the flow from
each to the next, Middlebury colour coding::

    python tools/visualize_flow.py demo.mp4 flow.png --num-frames 8
"""
import argparse
import json
import sys

from tsdistill.data_tools.flow_extraction import DeviceError, VideoReadError
from tsdistill.jobs.visualize_flow import visualize_video_flow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='video file (decoded with decord)')
    parser.add_argument('out', help='output PNG')
    parser.add_argument('--num-frames', type=int, default=8)
    parser.add_argument('--stride', type=int, default=1)
    parser.add_argument('--start', type=int, default=0)
    parser.add_argument(
        '--short-side',
        type=int,
        default=112,
        help='resize before computing flow (0 keeps the size)')
    parser.add_argument(
        '--max-flow',
        type=float,
        default=None,
        help='magnitude at full colour (default: the largest)')
    parser.add_argument(
        '--flow-cfg', default=None, help='TVL1OpticalFlow kwargs as JSON')
    parser.add_argument('--fast', action='store_true')
    parser.add_argument('--device', default=None)
    args = parser.parse_args(argv)

    flow_cfg = json.loads(args.flow_cfg) if args.flow_cfg else {}
    if args.fast:
        from tsdistill.models.flow import TVL1OpticalFlow
        flow_cfg = {**TVL1OpticalFlow.FAST_PRESET, **flow_cfg}
    try:
        grid = visualize_video_flow(
            args.video,
            args.out,
            num_frames=args.num_frames,
            stride=args.stride,
            start=args.start,
            short_side=args.short_side or None,
            flow_cfg=flow_cfg,
            max_flow=args.max_flow,
            device=args.device)
    except (DeviceError, VideoReadError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {args.out} ({grid.shape[1]}x{grid.shape[0]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
