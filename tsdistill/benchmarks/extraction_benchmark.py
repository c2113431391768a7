# Copyright (c) tsdistill authors. All rights reserved.
"""Flow extraction at scale: ``tools/extract_flow.py``'s path, M1 and OpenCV.

One run, in five steps (:func:`extraction_benchmark`):

1. **Clips.** ``num_clips`` videos of ``width x height`` pixels,
   ``seconds`` long at ``fps`` (default 100 clips of 320x240, 3 s at 25 fps:
   75 frames, 74 flow pairs each), from the embedded dataset's renderer
   (:func:`~tsdistill.data_tools.synthetic_motion.render_video`, an object
   moving in front of a drifting textured background; the motions cycle
   through its eight default classes). It renders square frames, so each
   clip is rendered at ``max(width, height)`` and centre-cropped; clips are
   MJPG ``.avi`` in class folders with a ``VideoDataset`` list. A run
   reuses the clips of an earlier run with the same settings.
2. **Accuracy at this size.** Average end-point error of each M1 setting
   and of OpenCV on ``4 * accuracy_pairs`` synthetic pairs with known flow
   (:func:`~tsdistill.benchmarks.flow_synthetic.make_pairs`) of the clips'
   size, measured as ``tools/benchmarks/flow_benchmark.py`` measures it
   (pixels whose target stays in the frame, 5 % border excluded). The
   settings compared are those of that benchmark and docs/benchmarks.md:
   OpenCV's ``DualTVL1OpticalFlow_create()`` with its defaults, and M1 at
   its default setting (``TVL1OpticalFlow()``: 5 scales, 5 warps, 8
   iterations), the one whose EPE is at most OpenCV's there (0.051 vs
   0.062 px at 112x112, 0.046 vs 1.359 at 224x224); the fast and the
   accurate presets can be added as rows (``presets``).
3. **Extraction.** :func:`~tsdistill.data_tools.flow_extraction.extract_flow`,
   the function ``tools/extract_flow.py`` calls, on every clip with each M1
   setting (module backend, ``threads`` torch threads, ``batch_pairs``
   pairs per forward) and on the first ``opencv_clips`` clips with
   OpenCV's process pool (``opencv_workers`` processes of one thread each),
   each into an empty output folder, timed from the call to its return
   (decoding, flow, JPEG writing, markers and the pool's start-up
   included, as in a real run). OpenCV's time is extrapolated to
   ``num_clips`` clips in proportion (its videos per second on the subset,
   whose motions cycle as the whole set's do); the output labels that
   figure as extrapolated.
4. **Batch-size scaling.** M1's milliseconds per pair with ``B`` pairs per
   forward (``B + 1`` consecutive frames of the first clip in one
   ``(1, 3, B + 1, H, W)`` call, as the extraction batches them), the
   median of ``repeats`` calls after a warm-up, for each of
   ``batch_sizes``; a least-squares fit of the time per call,
   ``c + a B``, splits it into a per-pair cost ``a`` and a per-call
   overhead ``c``.
5. **A GPU figure, projected, not measured.** M1 is a fixed sequence of
   element-wise and stencil operations with less than one FLOP per byte
   moved, so on a GPU each operation is bound by memory bandwidth, and
   eager PyTorch issues one kernel per operation. The projection counts,
   for one forward at the clips' size, every operation and the bytes it
   reads and writes (a ``TorchDispatchMode`` sums the sizes of the input
   and output tensors of every ATen operation that is not a view), and
   assumes each byte crosses GPU memory once per operation (no fusion; the
   coarse pyramid levels would fit in cache, so this overestimates their
   time). Time per forward of ``B`` pairs::

       B * bytes_per_pair / (bandwidth * efficiency) + kernels * overhead

   plus the frames' and flows' trip over PCIe, and, per video, the
   decoding and JPEG writing measured here on the CPU (serial with the
   flow, as ``extract_flow`` runs one process; more ranks share those).
   The assumptions (bandwidth, efficiency, per-kernel host overhead, PCIe
   bandwidth) are parameters and are printed with the figure.

The tables go to ``log`` as markdown, the whole report to JSON (``out``).
"""
import json
import os
import os.path as osp
import shutil
import statistics
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from ..data_tools.flow_extraction import (check_device, default_max_pairs,
                                          extract_flow, output_dir, read_video)
from ..data_tools.synthetic_motion import (DEFAULT_CLASSES, render_video,
                                           write_avi)
from ..models.flow import TVL1OpticalFlow
from ..models.flow.opencv_tvl1 import dual_tvl1_flow
from ..utils.flow_io import read_flow_jpegs, write_flow_jpegs
from ..utils.json_report import write_json_report
from ..utils.progress import progress_bar
from ..utils.timing import environment
from . import flow_synthetic as fs

#: M1 settings by name: ``TVL1OpticalFlow`` keyword arguments
PRESETS = dict(
    default={},
    fast=dict(TVL1OpticalFlow.FAST_PRESET),
    accurate=dict(TVL1OpticalFlow.ACCURATE_PRESET))
#: the projection's defaults: an NVIDIA V100 (HBM2, 900 GB/s peak), 70 %
#: of it reached by streaming kernels, 10 us of host time per eager
#: PyTorch operation (dispatch and launch), PCIe 3.0 x16 at 12 GB/s
GPU_DEFAULTS = dict(
    name='V100-class GPU',
    bandwidth_gbs=900.0,
    efficiency=0.7,
    overhead_us=10.0,
    pcie_gbs=12.0)
CLIPS_MARKER = 'clips.json'
#: pairs per forward of the batch-size scaling
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)


class ClipSpec(NamedTuple):
    """The benchmark's clips, as :func:`generate_clips` records them.

    ``num_clips`` videos of ``width x height`` pixels, ``seconds`` long at
    ``fps``; clip ``i`` is drawn from ``default_rng([seed, i])``. Defaults:
    100 clips of 320x240, 3 s at 25 fps, seed 0.
    """
    num_clips: int = 100
    width: int = 320
    height: int = 240
    seconds: float = 3.0
    fps: int = 25
    seed: int = 0


def generate_clips(root: str,
                   spec: ClipSpec = ClipSpec(),
                   progress: bool = True) -> str:
    """Write the benchmark's clips and their ``VideoDataset`` list.

    Clip ``i`` shows motion ``DEFAULT_CLASSES[i % 8]`` (label ``i % 8``),
    rendered at ``max(width, height)`` square and centre-cropped, as
    ``<root>/<motion>/<motion>_<i>.avi`` (MJPG). If ``<root>/clips.json``
    records the same spec and every clip exists, nothing is written.

    Args:
        root (str): Output folder.
        spec (ClipSpec): The clips. Defaults to ``ClipSpec()``.
        progress (bool): Show a progress bar. Defaults to ``True``.

    Returns:
        str: The list, ``<root>/clips.txt`` (``<video> <label>`` lines).

    Raises:
        ValueError: decord does not read the first clip back at the size
            written (the message names the file and the size).
    """
    num_clips, width, height, seconds, fps, seed = spec
    num_frames = int(round(seconds * fps))
    if num_frames < 2:
        raise ValueError(f'{seconds} s at {fps} fps is {num_frames} frame(s);'
                         ' flow needs at least 2')
    settings = spec._asdict()
    videos = [
        f'{DEFAULT_CLASSES[i % len(DEFAULT_CLASSES)]}/'
        f'{DEFAULT_CLASSES[i % len(DEFAULT_CLASSES)]}_{i:04d}.avi'
        for i in range(num_clips)
    ]
    ann_file = osp.join(root, 'clips.txt')
    marker = osp.join(root, CLIPS_MARKER)
    if osp.isfile(marker) and osp.isfile(ann_file) and all(
            osp.isfile(osp.join(root, v)) for v in videos):
        with open(marker) as f:
            if json.load(f) == settings:
                return ann_file
    if osp.isfile(marker):
        os.remove(marker)  # written last: absent while clips are replaced
    side = max(width, height)
    top, left = (side - height) // 2, (side - width) // 2
    bar = progress_bar(num_clips, progress)
    for i, video in enumerate(videos):
        rng = np.random.default_rng([seed, i])
        motion = DEFAULT_CLASSES[i % len(DEFAULT_CLASSES)]
        frames = render_video(motion, rng, num_frames, side)
        frames = np.ascontiguousarray(frames[:, top:top + height,
                                             left:left + width])
        path = osp.join(root, video)
        write_avi(path, frames, fps)
        if i == 0:
            back = read_video(path)
            if back.shape != (num_frames, height, width, 3):
                raise ValueError(f'{path}: decord reads {back.shape} back, '
                                 f'written ({num_frames}, {height}, {width}, '
                                 '3); try another size')
        bar.update()
    if progress and num_clips:
        print()
    with open(ann_file, 'w') as f:
        f.writelines(f'{v} {i % len(DEFAULT_CLASSES)}\n'
                     for i, v in enumerate(videos))
    with open(marker, 'w') as f:
        json.dump(settings, f)
    return ann_file


def flow_accuracy(height: int,
                  width: int,
                  presets: Sequence[str] = ('default', ),
                  pairs_per_motion: int = 2,
                  seed: int = 0) -> Dict[str, float]:
    """EPE (px) of OpenCV and each M1 preset on pairs of this size.

    As ``tools/benchmarks/flow_benchmark.py``: pairs with known flow of
    every motion kind, EPE over the pixels whose target stays in the frame
    with a 5 % border excluded, averaged over the pairs.

    Returns:
        dict: ``{'opencv': epe, 'm1 <preset>': epe, ...}``.
    """
    pairs = fs.make_pairs(pairs_per_motion, height, width, seed)
    border = max(1, int(round(0.05 * min(height, width))))
    flows = {'opencv': [dual_tvl1_flow([f0, f1])[0] for _, f0, f1, _ in pairs]}
    x = torch.from_numpy(np.stack([np.stack([p[1], p[2]]) for p in pairs]))
    x = x.permute(0, 4, 1, 2, 3).float()
    for preset in presets:
        with torch.no_grad():
            out = TVL1OpticalFlow(**PRESETS[preset])(x)
        flows[f'm1 {preset}'] = list(out[:, :, 0].permute(0, 2, 3, 1).numpy())
    truth = [(gt, fs.valid_mask(gt, border)) for _, _, _, gt in pairs]
    epe = {}
    for name, found in flows.items():
        epe[name] = float(
            np.mean([fs.epe(f, gt, m) for f, (gt, m) in zip(found, truth)]))
    return epe


def timed_extraction(ann_file: str, data_root: str, out_root: str,
                     **kwargs) -> Dict[str, object]:
    """Run :func:`extract_flow` into an empty ``out_root`` and time it.

    Args:
        ann_file (str): The clips' list.
        data_root (str): Their folder.
        out_root (str): Output root; removed first if it exists.
        **kwargs: :func:`extract_flow`'s keyword arguments.

    Returns:
        dict: ``seconds``, ``videos`` (written) and ``pairs`` (flow frames
        written).

    Raises:
        RuntimeError: A clip failed (the benchmark's clips are all
            readable; the message names them).
    """
    if osp.isdir(out_root):
        shutil.rmtree(out_root)
    start = time.perf_counter()
    report = extract_flow(ann_file, data_root, out_root, **kwargs)
    seconds = time.perf_counter() - start
    if report['failed']:
        raise RuntimeError(f'extraction into {out_root} failed for ' +
                           '; '.join(f'{v}: {m.splitlines()[0]}'
                                     for v, m in report['failed'].items()))
    pairs = 0
    for video in report['done']:
        with open(osp.join(output_dir(out_root, video),
                           '.flow_done.json')) as f:
            pairs += int(json.load(f)['num_pairs'])
    return dict(seconds=seconds, videos=len(report['done']), pairs=pairs)


def _consecutive_clip(frames: np.ndarray, batch: int) -> torch.Tensor:
    """``(1, 3, batch + 1, H, W)`` float: consecutive frames, cycled."""
    idx = np.arange(batch + 1) % len(frames)
    clip = torch.from_numpy(np.ascontiguousarray(frames[idx]))
    return clip.permute(3, 0, 1, 2).unsqueeze(0).float()


def batch_scaling(frames: np.ndarray,
                  flow_cfg: Optional[dict] = None,
                  batch_sizes: Sequence[int] = BATCH_SIZES,
                  device: str = 'cpu',
                  repeats: int = 3,
                  log: Callable[[str], None] = print) -> Dict[str, object]:
    """M1's time per pair with ``B`` pairs per forward, for each ``B``.

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB frames of a clip.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` arguments. Defaults
            to ``None``.
        batch_sizes (Sequence[int]): Pairs per forward. Defaults to
            ``(1, 2, 4, 8, 16, 32, 64)``.
        device (str): Torch device. Defaults to ``'cpu'``.
        repeats (int): Timed calls per batch size (after one warm-up); the
            median is reported. Defaults to ``3``.
        log (callable): Progress lines. Defaults to ``print``.

    Returns:
        dict: ``ms_per_pair`` (``{str(B): ms}``), ``seconds`` (``{str(B):
        [s per call]}``) and the fit of the time per call, ``c + a B``:
        ``fit_ms_per_pair`` (``a``) and ``fit_ms_per_call`` (``c``).
    """
    module = TVL1OpticalFlow(**(flow_cfg or {})).to(device).eval()
    cuda = torch.device(device).type == 'cuda'
    seconds: Dict[int, List[float]] = {}
    for batch in batch_sizes:
        clip = _consecutive_clip(frames, batch).to(device)
        times = []
        with torch.no_grad():
            for i in range(repeats + 1):
                if cuda:
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                module(clip)
                if cuda:
                    torch.cuda.synchronize(device)
                if i:  # the first call is the warm-up
                    times.append(time.perf_counter() - start)
        seconds[batch] = times
        log(f'  {batch:4d} pairs per forward: '
            f'{1000 * statistics.median(times) / batch:8.1f} ms/pair')
    batches = np.array(list(seconds), np.float64)
    calls = np.array([statistics.median(s) for s in seconds.values()])
    if len(batches) > 1:
        a, c = np.polyfit(batches, calls, 1)
    else:
        a, c = calls[0] / batches[0], 0.0
    return dict(
        ms_per_pair={
            str(b): 1000 * statistics.median(s) / b
            for b, s in seconds.items()
        },
        seconds={
            str(b): s
            for b, s in seconds.items()
        },
        fit_ms_per_pair=1000 * float(a),
        fit_ms_per_call=1000 * float(c))


def _nbytes(t: torch.Tensor) -> int:
    """Bytes of a tensor's distinct elements (broadcast dims count once)."""
    n = 1
    for size, stride in zip(t.shape, t.stride()):
        if stride != 0:
            n *= size
    return n * t.element_size()


class _TrafficCounter(TorchDispatchMode):
    """Counts ATen operations and the bytes of their inputs and outputs.

    Views (outputs that alias an input without writing it) move nothing
    and are not counted; in-place operations count their operand as read
    and as written.
    """

    def __init__(self) -> None:
        super().__init__()
        self.kernels = 0
        self.bytes = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        returns = func._schema.returns
        views = [
            r.alias_info is not None and not r.alias_info.is_write
            for r in returns
        ]
        if views and all(views):
            return out
        tensors_in = [
            t for t in tree_leaves((args, kwargs or {}))
            if isinstance(t, torch.Tensor)
        ]
        tensors_out = [
            t for t in tree_leaves(out) if isinstance(t, torch.Tensor)
        ]
        self.kernels += 1
        self.bytes += sum(map(_nbytes, tensors_in + tensors_out))
        return out


def memory_traffic(height: int,
                   width: int,
                   flow_cfg: Optional[dict] = None) -> Dict[str, float]:
    """Operations per forward and bytes moved per pair by M1 at this size.

    Counted on the CPU with :class:`_TrafficCounter` for forwards of 1 and
    2 pairs (random frames: M1 runs the same operations on any input); the
    difference is the traffic of one pair, the operation count does not
    depend on the batch. M1 runs its eager ops here, as on a GPU: the fused
    kernel is CPU-only, and its one call per pyramid level would hide the
    warps' traffic from the counter.

    Returns:
        dict: ``kernels_per_forward``, ``bytes_per_pair``.
    """
    module = TVL1OpticalFlow(**{**(flow_cfg or {}), 'backend': 'eager'})
    module.eval()
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, height, width, 3), dtype=np.uint8)
    counts = []
    for batch in (1, 2):
        clip = _consecutive_clip(frames, batch)
        with torch.no_grad(), _TrafficCounter() as counter:
            module(clip)
        counts.append((counter.kernels, counter.bytes))
    return dict(
        kernels_per_forward=float(counts[0][0]),
        bytes_per_pair=float(counts[1][1] - counts[0][1]))


def gpu_projection(traffic: Dict[str, float],
                   height: int,
                   width: int,
                   batch_sizes: Sequence[int],
                   pairs_per_video: int,
                   batch_pairs: int,
                   io_seconds_per_video: float,
                   gpu: Optional[dict] = None) -> Dict[str, object]:
    """The roofline projection of M1 and of extraction on a GPU.

    Per forward of ``B`` pairs (``B + 1`` frames)::

        B * bytes_per_pair / (bandwidth * efficiency)
        + kernels * overhead
        + ((B + 1) * H * W * 3 + B * H * W * 2 * 4) / pcie

    (uint8 frames in, float32 flow out). A video of ``P`` pairs runs in
    windows of ``batch_pairs`` pairs, after ``io_seconds_per_video`` of
    decoding and JPEG writing on the CPU. ``gpu`` overrides
    :data:`GPU_DEFAULTS` (``name``, ``bandwidth_gbs``, ``efficiency``,
    ``overhead_us``, ``pcie_gbs``).

    Returns:
        dict: ``assumptions``, ``ms_per_pair`` (``{str(B): ms}``),
        ``seconds_per_video`` and ``videos_per_second``.
    """
    gpu = {**GPU_DEFAULTS, **(gpu or {})}
    bandwidth = gpu['bandwidth_gbs'] * 1e9 * gpu['efficiency']

    def forward_seconds(batch: int) -> float:
        # uint8 frames in, float32 flow out
        pcie_bytes = height * width * ((batch + 1) * 3 + batch * 2 * 4)
        pcie = pcie_bytes / (gpu['pcie_gbs'] * 1e9)
        return (batch * traffic['bytes_per_pair'] / bandwidth +
                traffic['kernels_per_forward'] * gpu['overhead_us'] * 1e-6 +
                pcie)

    windows = [batch_pairs] * (pairs_per_video // batch_pairs)
    if pairs_per_video % batch_pairs:
        windows.append(pairs_per_video % batch_pairs)
    per_video = io_seconds_per_video + sum(map(forward_seconds, windows))
    return dict(
        assumptions=dict(
            gpu,
            **traffic,
            io_seconds_per_video=io_seconds_per_video,
            batch_pairs=batch_pairs),
        ms_per_pair={
            str(b): 1000 * forward_seconds(b) / b
            for b in sorted(set(batch_sizes) | {batch_pairs})
        },
        seconds_per_video=per_video,
        videos_per_second=1.0 / per_video)


def io_seconds(ann_file: str,
               data_root: str,
               flow_root: str,
               scratch: str,
               num_videos: int = 5) -> Dict[str, float]:
    """CPU time per video of extraction's decoding and JPEG writing.

    Decodes the first ``num_videos`` clips as ``extract_flow`` does and
    writes the flow M1 extracted for them (read back from ``flow_root``)
    again as JPEGs into ``scratch`` (removed afterwards).

    Returns:
        dict: ``decode`` and ``write`` seconds per video (medians).
    """
    with open(ann_file) as f:
        videos = [line.split()[0] for line in f if line.strip()]
    decode, write = [], []
    for video in videos[:num_videos]:
        start = time.perf_counter()
        read_video(osp.join(data_root, video))
        decode.append(time.perf_counter() - start)
        flows = read_flow_jpegs(output_dir(flow_root, video))
        start = time.perf_counter()
        write_flow_jpegs(scratch, flows)
        write.append(time.perf_counter() - start)
        shutil.rmtree(scratch)
    return dict(
        decode=statistics.median(decode), write=statistics.median(write))


def extraction_benchmark(work_dir: str = 'work_dirs/benchmarks/extraction',
                         num_clips: int = 100,
                         width: int = 320,
                         height: int = 240,
                         seconds: float = 3.0,
                         fps: int = 25,
                         opencv_clips: Optional[int] = 10,
                         opencv_workers: Optional[int] = None,
                         presets: Sequence[str] = ('default', ),
                         threads: Optional[int] = None,
                         device: Optional[str] = None,
                         batch_pairs: Optional[int] = None,
                         batch_sizes: Sequence[int] = BATCH_SIZES,
                         repeats: int = 3,
                         accuracy_pairs: int = 2,
                         gpu: Optional[dict] = None,
                         seed: int = 0,
                         out: Optional[str] = None,
                         progress: bool = True,
                         log: Callable[[str], None] = print) -> dict:
    """The extraction benchmark (see the module docstring).

    Args:
        work_dir (str): Clips (``clips/``, kept for the next run) and the
            extracted flow (``flow_<backend>/``, replaced on every run).
            Defaults to ``'work_dirs/benchmarks/extraction'``.
        num_clips (int): Clips. Defaults to ``100``.
        width (int): Frame width. Defaults to ``320``.
        height (int): Frame height. Defaults to ``240``.
        seconds (float): Clip length. Defaults to ``3.0``.
        fps (int): Frame rate. Defaults to ``25``.
        opencv_clips (int, optional): Clips OpenCV extracts (the first
            ones; its time is extrapolated to ``num_clips``); ``None`` or
            more than ``num_clips``: all. Defaults to ``10``.
        opencv_workers (int, optional): OpenCV pool processes. Defaults to
            ``None`` (one per CPU).
        presets (Sequence[str]): M1 settings, keys of :data:`PRESETS`; the
            first is the one the speed-up and the projection are for.
            Defaults to ``('default', )``.
        threads (int, optional): Torch threads for M1. Defaults to
            ``None`` (torch's default, one per CPU).
        device (str, optional): M1's device; ``None``: CUDA if available.
            Defaults to ``None``.
        batch_pairs (int, optional): Pairs per M1 forward during
            extraction and in the GPU projection; ``None``: ``extract_flow``'s
            default for each (8 on the CPU, 64 on a GPU). Defaults to
            ``None``.
        batch_sizes (Sequence[int]): Pairs per forward for the scaling.
            Defaults to ``(1, 2, 4, 8, 16, 32, 64)``.
        repeats (int): Timed calls per batch size. Defaults to ``3``.
        accuracy_pairs (int): Synthetic pairs per motion kind (4 kinds) for
            the EPE; ``0`` skips it. Defaults to ``2``.
        gpu (dict, optional): Overrides of :data:`GPU_DEFAULTS`. Defaults
            to ``None``.
        seed (int): Seed of the clips and pairs. Defaults to ``0``.
        out (str, optional): JSON output. Defaults to ``None``.
        progress (bool): Progress bars. Defaults to ``True``.
        log (callable): Where lines and tables go. Defaults to ``print``.

    Returns:
        dict: The report (also written to ``out``).
    """
    unknown = [p for p in presets if p not in PRESETS]
    if unknown or not presets:
        raise ValueError(f'presets must be some of {sorted(PRESETS)}, got '
                         f'{list(presets)}')
    if min(batch_sizes) < 1 or (batch_pairs or 1) < 1 or repeats < 1:
        raise ValueError('batch sizes, batch_pairs and repeats must be >= 1')
    if threads:
        torch.set_num_threads(threads)
    device = check_device(device)
    gpu_batch_pairs = batch_pairs or default_max_pairs('cuda')
    batch_pairs = batch_pairs or default_max_pairs(device)
    workers = opencv_workers or os.cpu_count() or 1
    if opencv_clips is None or opencv_clips > num_clips:
        opencv_clips = num_clips
    if opencv_clips < 1:
        raise ValueError(f'opencv_clips must be >= 1, got {opencv_clips}')
    spec = ClipSpec(num_clips, width, height, seconds, fps, seed)
    settings = dict(
        spec._asdict(),
        opencv_clips=opencv_clips,
        opencv_workers=workers,
        presets=list(presets),
        flow_cfgs={p: PRESETS[p]
                   for p in presets},
        threads=torch.get_num_threads(),
        device=device,
        batch_pairs=batch_pairs,
        batch_sizes=list(batch_sizes),
        repeats=repeats,
        accuracy_pairs=accuracy_pairs)
    report = dict(
        settings=settings,
        environment=dict(environment(), cpus=os.cpu_count()),
        extraction={},
        accuracy={},
        gpu_projection=None)
    start_all = time.perf_counter()

    log(f'[1/5] {num_clips} clips of {width}x{height}, {seconds:g} s at '
        f'{fps} fps')
    clips = osp.join(work_dir, 'clips')
    start = time.perf_counter()
    ann_file = generate_clips(clips, spec, progress)
    report['clips_seconds'] = time.perf_counter() - start

    if accuracy_pairs > 0:
        log(f'[2/5] EPE on {4 * accuracy_pairs} synthetic pairs of '
            f'{width}x{height} with known flow')
        report['accuracy'] = flow_accuracy(height, width, presets,
                                           accuracy_pairs, seed)
        for name, epe in report['accuracy'].items():
            log(f'  {name:<12} EPE {epe:.3f} px')

    log('[3/5] extraction (tools/extract_flow.py\'s extract_flow)')
    for preset in presets:
        log(f'  M1 {preset}: {num_clips} clips on {device}, torch threads '
            f'{torch.get_num_threads()}, {batch_pairs} pairs per forward')
        report['extraction'][f'm1 {preset}'] = timed_extraction(
            ann_file,
            clips,
            osp.join(work_dir, f'flow_m1_{preset}'),
            backend='module',
            flow_cfg=PRESETS[preset],
            device=device,
            max_pairs=batch_pairs,
            progress=progress,
            rank=0,
            world_size=1)
    subset = ann_file
    if opencv_clips < num_clips:
        subset = osp.join(work_dir, f'clips_first_{opencv_clips}.txt')
        with open(ann_file) as f:
            lines = [line for line in f if line.strip()][:opencv_clips]
        with open(subset, 'w') as f:
            f.writelines(lines)
    log(f'  OpenCV DualTVL1 (defaults): {opencv_clips} of {num_clips} clips, '
        f'pool of {workers} process(es)')
    opencv = timed_extraction(
        subset,
        clips,
        osp.join(work_dir, 'flow_opencv'),
        backend='opencv',
        num_workers=workers,
        progress=progress,
        rank=0,
        world_size=1)
    opencv['extrapolated'] = opencv_clips < num_clips
    opencv['seconds_all_clips'] = opencv['seconds'] * num_clips / opencv_clips
    report['extraction']['opencv'] = opencv
    for row in report['extraction'].values():
        row['videos_per_second'] = row['videos'] / row['seconds']
        row['ms_per_pair'] = 1000 * row['seconds'] / row['pairs']
    main = report['extraction'][f'm1 {presets[0]}']
    report['speedup_vs_opencv'] = (
        main['videos_per_second'] / opencv['videos_per_second'])

    log(f'[4/5] M1 {presets[0]}: batch-size scaling on {device}')
    first = read_video(osp.join(clips, _first_video(ann_file)))
    report['batch_scaling'] = batch_scaling(first, PRESETS[presets[0]],
                                            batch_sizes, device, repeats, log)

    log('[5/5] GPU projection: operations and bytes per M1 forward')
    traffic = memory_traffic(height, width, PRESETS[presets[0]])
    m1_flow = osp.join(work_dir, f'flow_m1_{presets[0]}')
    scratch = osp.join(work_dir, 'io_scratch')
    io = io_seconds(ann_file, clips, m1_flow, scratch, min(num_clips, 5))
    report['io_seconds_per_video'] = io
    report['gpu_projection'] = gpu_projection(
        traffic,
        height,
        width,
        batch_sizes,
        pairs_per_video=len(first) - 1,
        batch_pairs=gpu_batch_pairs,
        io_seconds_per_video=io['decode'] + io['write'],
        gpu=gpu)
    report['seconds'] = time.perf_counter() - start_all
    # JSON's types (tuples as lists), so the file reads back equal
    report = json.loads(json.dumps(report))
    log('')
    log(format_report(report))
    if out:
        write_json_report(out, report)
        log(f'\nwrote {out}')
    return report


def _first_video(ann_file: str) -> str:
    with open(ann_file) as f:
        return next(line.split()[0] for line in f if line.strip())


def format_report(report: dict) -> str:
    """The report as markdown tables, each projection labelled."""
    s = report['settings']
    lines = [
        f"### Flow extraction: {s['num_clips']} clips of {s['width']}x"
        f"{s['height']}, {s['seconds']:g} s at {s['fps']} fps "
        f"({report['environment']['cpus']} CPUs, torch "
        f"{report['environment']['torch']}, OpenCV "
        f"{report['environment']['opencv']})", '',
        '| backend | settings | clips | flow pairs | seconds | videos/s | '
        'ms/pair | speed-up |', '|---|---|---|---|---|---|---|---|'
    ]
    opencv = report['extraction']['opencv']
    for name, row in report['extraction'].items():
        if name == 'opencv':
            label = 'OpenCV DualTVL1 (defaults)'
            setting = (f"pool of {s['opencv_workers']} process(es), 1 "
                       'thread each')
        else:
            preset = name.split(' ', 1)[1]
            label = f'M1 `TVL1OpticalFlow` {preset}'
            setting = (f"{s['device']}, torch threads {s['threads']}, "
                       f"{s['batch_pairs']} pairs per forward")
        speedup = row['videos_per_second'] / opencv['videos_per_second']
        lines.append(f"| {label} | {setting} | {row['videos']} | "
                     f"{row['pairs']} | {row['seconds']:.1f} | "
                     f"{row['videos_per_second']:.3f} | "
                     f"{row['ms_per_pair']:.1f} | {speedup:.1f}x |")
    if opencv['extrapolated']:
        lines.append(
            f"| OpenCV DualTVL1, **extrapolated** from {opencv['videos']} "
            f"to {s['num_clips']} clips | (same rate) | {s['num_clips']} | "
            f"| {opencv['seconds_all_clips']:.1f} (extrapolated) | "
            f"{opencv['videos_per_second']:.3f} | | 1.0x |")
    first = next(iter(report['extraction']))
    verdict = 'met' if report['speedup_vs_opencv'] >= 10 else 'NOT met'
    lines += [
        '', f"{first} / OpenCV videos per second: "
        f"{report['speedup_vs_opencv']:.1f}x (target >= 10x: {verdict})"
    ]
    if report['accuracy']:
        lines += [
            '', f"EPE at {s['width']}x{s['height']} "
            f"({4 * s['accuracy_pairs']} synthetic pairs with known flow, "
            'as tools/benchmarks/flow_benchmark.py):', '',
            '| method | EPE px |', '|---|---|'
        ]
        lines += [
            f'| {name} | {epe:.3f} |'
            for name, epe in report['accuracy'].items()
        ]
    scaling = report['batch_scaling']
    projection = report['gpu_projection']
    lines += [
        '', f"M1 {s['presets'][0]} on "
        f"{s['device']}, measured, and on a GPU, **projected** (not "
        'measured):', '', '| pairs per forward | measured ms/pair | '
        f"projected ms/pair, {projection['assumptions']['name']} |",
        '|---|---|---|'
    ]
    for batch in sorted(
            set(scaling['ms_per_pair']) | set(projection['ms_per_pair']),
            key=int):
        measured = scaling['ms_per_pair'].get(batch)
        lines.append(f'| {batch} | ' +
                     (f'{measured:.1f}' if measured is not None else '') +
                     f" | {projection['ms_per_pair'][batch]:.3f} |")
    a = projection['assumptions']
    megabytes = a['bytes_per_pair'] / 1e6
    io = report['io_seconds_per_video']
    lines += [
        '', f"Fit of the measured time per forward: "
        f"{scaling['fit_ms_per_call']:.1f} ms + B x "
        f"{scaling['fit_ms_per_pair']:.1f} ms.", '',
        f"**Projected** extraction on a {a['name']}: "
        f"{projection['videos_per_second']:.2f} videos/s "
        f"({projection['seconds_per_video']:.3f} s per video, one "
        'process). Assumptions: every ATen operation of M1 streams its '
        f'inputs and outputs through GPU memory once ({megabytes:.1f} MB '
        f"per pair, {a['kernels_per_forward']:.0f} operations "
        f"per forward, counted here) at {a['efficiency']:.0%} of "
        f"{a['bandwidth_gbs']:g} GB/s; {a['overhead_us']:g} us of host "
        f"time per operation; frames and flow over PCIe at "
        f"{a['pcie_gbs']:g} GB/s; {a['batch_pairs']} pairs per forward; "
        f"decoding ({io['decode']:.3f} s) and JPEG writing "
        f"({io['write']:.3f} s) per video on the CPU as measured here, "
        'serial with the flow.'
    ]
    return '\n'.join(lines)
