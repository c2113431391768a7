# Copyright (c) tsdistill authors. All rights reserved.
"""Precompute TV-L1 flow for a VideoDataset list as rawframe flow JPEGs.

Writes ``<out-root>/<video path without extension>/flow_{x,y}_%05d.jpg``
(flow clipped to ``--bound`` pixels, mapped to 0..255) and a marker with
the settings, resumes by skipping videos finished with the same settings,
and lists the videos it could not read; the exit status is 1 if there were
any (unless ``--allow-failures``). Videos finished with other settings
(``--bound``, ``--backend``, ``--short-side``, ``--flow-cfg``/``--fast``)
stop the run before anything is computed (exit status 2) unless
``--overwrite`` is given, which redoes them; so does a ``--device`` that is
not available::

    python tools/extract_flow.py data/hmdb51/hmdb51_train_split_1_videos.txt \
        --data-root data/hmdb51/videos --out-root data/hmdb51/flow_tvl1 \
        --backend module                  # M1, batched, GPU if available
    python tools/extract_flow.py ... --backend opencv --workers 8
"""
import argparse
import json
import sys

from tsdistill.utils.flow_extraction import (DeviceError, FlowSettingsError,
                                             extract_flow, format_report)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='VideoDataset list: <video> <label>')
    parser.add_argument('--data-root', default='', help='root of the videos')
    parser.add_argument('--out-root', required=True, help='output root')
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
        '--workers', type=int, default=1, help='opencv worker processes')
    parser.add_argument(
        '--short-side', type=int, default=None, help='resize frames first')
    parser.add_argument('--bound', type=float, default=20.0)
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='redo videos finished with other settings (otherwise an '
        'error)')
    parser.add_argument(
        '--allow-failures',
        action='store_true',
        help='exit 0 even if some videos could not be read')
    args = parser.parse_args(argv)

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
            overwrite=args.overwrite)
    except (DeviceError, FlowSettingsError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(format_report(report))
    return 1 if report['failed'] and not args.allow_failures else 0


if __name__ == '__main__':
    sys.exit(main())
