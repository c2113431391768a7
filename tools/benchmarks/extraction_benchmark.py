# Copyright (c) tsdistill authors. All rights reserved.
"""Flow extraction benchmark: extract_flow with M1 and with OpenCV's pool.

Generates ``--clips`` videos (default 100 of 320x240, 3 s at 25 fps),
extracts their flow with ``tools/extract_flow.py``'s ``extract_flow``
(M1's default setting, and OpenCV's DualTVL1 with its defaults on the first
``--opencv-clips``, extrapolated), prints total time, videos per second,
the EPE of both at this size, M1's batch-size scaling and a GPU figure
labelled as a projection, as markdown, and writes JSON (``--out``). See
:mod:`tsdistill.benchmarks.extraction_benchmark`. Run on a quiet machine::

    python tools/benchmarks/extraction_benchmark.py \
        --out work_dirs/benchmarks/extraction.json
    python tools/benchmarks/extraction_benchmark.py --clips 2 --width 64 \
        --height 40 --seconds 0.2 --opencv-clips 1 --batch-sizes 1 2  # smoke
"""
import argparse

from tsdistill.benchmarks.extraction_benchmark import (BATCH_SIZES,
                                                       GPU_DEFAULTS, PRESETS,
                                                       extraction_benchmark)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmarks/extraction',
        help='clips (kept for the next run) and extracted flow')
    parser.add_argument('--clips', type=int, default=100)
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=240)
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--fps', type=int, default=25)
    parser.add_argument(
        '--opencv-clips',
        type=int,
        default=10,
        help='clips OpenCV extracts; its time is extrapolated to --clips '
        '(0: all)')
    parser.add_argument(
        '--opencv-workers',
        type=int,
        default=None,
        help='OpenCV pool processes (default: one per CPU)')
    parser.add_argument(
        '--presets',
        nargs='+',
        choices=sorted(PRESETS),
        default=['default'],
        help='M1 settings; the first is compared with OpenCV')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads for M1 (default: one per CPU)')
    parser.add_argument(
        '--device', default=None, help='M1 device (default: CUDA if any)')
    parser.add_argument(
        '--batch-pairs',
        type=int,
        default=None,
        help='pairs per M1 forward during extraction and in the GPU '
        'projection (default: extract_flow\'s, 8 on the CPU, 64 on a GPU)')
    parser.add_argument(
        '--batch-sizes', type=int, nargs='+', default=list(BATCH_SIZES))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--accuracy-pairs',
        type=int,
        default=2,
        help='synthetic pairs per motion kind for the EPE (0: skip)')
    parser.add_argument(
        '--gpu-name', default=GPU_DEFAULTS['name'], help='projection: label')
    parser.add_argument(
        '--gpu-bandwidth',
        type=float,
        default=GPU_DEFAULTS['bandwidth_gbs'],
        help='projection: GPU memory bandwidth, GB/s')
    parser.add_argument(
        '--gpu-efficiency',
        type=float,
        default=GPU_DEFAULTS['efficiency'],
        help='projection: fraction of the bandwidth reached')
    parser.add_argument(
        '--gpu-overhead-us',
        type=float,
        default=GPU_DEFAULTS['overhead_us'],
        help='projection: host time per operation, us')
    parser.add_argument(
        '--pcie-bandwidth',
        type=float,
        default=GPU_DEFAULTS['pcie_gbs'],
        help='projection: host-GPU bandwidth, GB/s')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument(
        '--out', default='work_dirs/benchmarks/extraction.json')
    args = parser.parse_args(argv)
    return extraction_benchmark(
        work_dir=args.work_dir,
        num_clips=args.clips,
        width=args.width,
        height=args.height,
        seconds=args.seconds,
        fps=args.fps,
        opencv_clips=args.opencv_clips or None,
        opencv_workers=args.opencv_workers,
        presets=args.presets,
        threads=args.threads,
        device=args.device,
        batch_pairs=args.batch_pairs,
        batch_sizes=args.batch_sizes,
        repeats=args.repeats,
        accuracy_pairs=args.accuracy_pairs,
        gpu=dict(
            name=args.gpu_name,
            bandwidth_gbs=args.gpu_bandwidth,
            efficiency=args.gpu_efficiency,
            overhead_us=args.gpu_overhead_us,
            pcie_gbs=args.pcie_bandwidth),
        seed=args.seed,
        out=args.out,
        progress=not args.no_progress)


if __name__ == '__main__':
    main()
