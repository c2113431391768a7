# Copyright (c) tsdistill authors. All rights reserved.
"""Precompute TV-L1 flow and RGB frames of a VideoDataset list as rawframes.

Writes mmaction2's rawframe layout, ``<out-root>/<video path without
extension>/``: ``img_%05d.jpg`` (the N frames, ``RawframeDataset``'s
default ``filename_tmpl``) and ``x_%05d.jpg`` / ``y_%05d.jpg`` (the N - 1
flows, ``filename_tmpl='{}_{:05d}.jpg'``; clipped to ``--bound`` pixels,
mapped to 0..255), both from the frames resized to ``--short-side``.
``--task rgb|flow|both`` (default ``both``) chooses what is written, as in
mmaction2's ``tools/data/build_rawframes.py``. A marker with the task and
the settings is written last. A re-run skips videos finished for the task
with the same settings (and still holding as many files as the marker
counts; a part that lost files is extracted again, with a warning),
writes only the missing part of a video finished for another task (e.g.
the RGB frames of a ``--task flow`` folder; the flow is kept), and lists
the videos it could not read; the exit status is 1 if there were any
(unless ``--allow-failures``). Videos finished with
other settings (``--bound``, ``--backend``, ``--flow-cfg``/``--fast`` for
the flow; ``--short-side`` for every part) stop the run before anything is
computed (exit status 2) unless ``--overwrite`` is given, which redoes
them; so do a ``--device`` that is not available, and a list line
mmaction2 cannot read (e.g. a path holding whitespace; the line is
named)::

    python tools/extract_flow.py data/hmdb51/hmdb51_train_split_1_videos.txt \
        --data-root data/hmdb51/videos --out-root data/hmdb51/flow_tvl1 \
        --backend module                  # M1, batched, GPU if available
    python tools/extract_flow.py ... --task flow   # no img_%05d.jpg
    python tools/extract_flow.py ... --backend opencv --workers 8
    torchrun --nproc_per_node 4 tools/extract_flow.py ...   # 4 shards
    python tools/extract_flow.py ... --rank 1 --world-size 2  # by hand

Sharding: rank ``r`` of ``w`` (``--rank`` / ``--world-size``, else
torchrun's ``RANK`` / ``WORLD_SIZE`` or slurm's ``SLURM_PROCID`` /
``SLURM_NTASKS``) takes every ``w``-th video from the ``r``-th; no rank
touches another's folders, and each prints its own summary.
"""
import argparse
import json
import sys

from tsdistill.data_tools.flow_extraction import (DeviceError,
                                                  FlowSettingsError,
                                                  ListLineError, extract_flow,
                                                  format_report)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='VideoDataset list: <video> <label>')
    parser.add_argument('--data-root', default='', help='root of the videos')
    parser.add_argument('--out-root', required=True, help='output root')
    parser.add_argument(
        '--task',
        choices=('rgb', 'flow', 'both'),
        default='both',
        help='what to write: img_%%05d.jpg (rgb), x_/y_%%05d.jpg (flow) or '
        'both (default: both)')
    parser.add_argument(
        '--backend', choices=('module', 'opencv'), default='module')
    parser.add_argument(
        '--flow-cfg',
        default=None,
        help='TVL1OpticalFlow kwargs as JSON, e.g. \'{"num_iters": 10}\'')
    parser.add_argument(
        '--fast', action='store_true', help='module: the fast preset')
    parser.add_argument('--device', default=None, help='torch device')
    parser.add_argument(
        '--batch-pairs',
        type=int,
        default=None,
        help='module: frame pairs per M1 forward (default: 8 on the CPU, '
        '64 on a GPU)')
    parser.add_argument(
        '--workers', type=int, default=1, help='opencv worker processes')
    parser.add_argument(
        '--short-side',
        type=int,
        default=None,
        help='resize frames (RGB and flow) so the shorter side has this '
        'length')
    parser.add_argument('--bound', type=float, default=20.0)
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='redo videos finished with other settings (otherwise an '
        'error)')
    parser.add_argument(
        '--rank',
        type=int,
        default=None,
        help='this shard (with --world-size; default: from torchrun / '
        'slurm variables, else 0)')
    parser.add_argument('--world-size', type=int, default=None)
    parser.add_argument(
        '--allow-failures',
        action='store_true',
        help='exit 0 even if some videos could not be read')
    args = parser.parse_args(argv)
    if (args.rank is None) != (args.world_size is None):
        parser.error('give both --rank and --world-size, or neither')
    if args.world_size is not None and not 0 <= args.rank < args.world_size:
        parser.error(f'--rank {args.rank} is not in 0..--world-size - 1 '
                     f'({args.world_size - 1})')
    if args.batch_pairs is not None and args.batch_pairs < 1:
        parser.error(f'--batch-pairs must be >= 1, got {args.batch_pairs}')

    flow_cfg = json.loads(args.flow_cfg) if args.flow_cfg else {}
    if args.fast:
        from tsdistill.models.flow import TVL1OpticalFlow
        flow_cfg = {**TVL1OpticalFlow.FAST_PRESET, **flow_cfg}
    try:
        report = extract_flow(
            args.ann_file,
            args.data_root,
            args.out_root,
            backend=args.backend,
            flow_cfg=flow_cfg,
            device=args.device,
            num_workers=args.workers,
            short_side=args.short_side,
            bound=args.bound,
            progress=not args.no_progress,
            overwrite=args.overwrite,
            rank=args.rank,
            world_size=args.world_size,
            max_pairs=args.batch_pairs,
            task=args.task)
    except (DeviceError, FlowSettingsError, ListLineError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(format_report(report))
    return 1 if report['failed'] and not args.allow_failures else 0


if __name__ == '__main__':
    sys.exit(main())
