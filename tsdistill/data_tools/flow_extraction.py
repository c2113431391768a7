# Copyright (c) tsdistill authors. All rights reserved.
"""Precompute TV-L1 flow for a video annotation list (rawframe JPEGs).

Two backends: ``'module'`` runs M1 (:class:`TVL1OpticalFlow`), batched over
the frame pairs of a video, on CUDA when available; ``'opencv'`` runs
OpenCV's CPU ``DualTVL1OpticalFlow`` in a pool of worker processes, one
video per task. Both write mmaction2's rawframe layout,
``<out_root>/<video path without extension>/``:

- ``img_%05d.jpg``: the ``N`` decoded frames (RGB, read with
  ``RawframeDataset``'s default ``filename_tmpl='img_{:05}.jpg'``);
- ``x_%05d.jpg`` / ``y_%05d.jpg``: the ``N - 1`` flows between consecutive
  frames (read with ``filename_tmpl='{}_{:05d}.jpg'``, ``modality='Flow'``);

both from the same frames (resized to ``short_side`` if given), all 1-based.
``task`` chooses what is written, as ``--task`` of mmaction2's
``tools/data/build_rawframes.py``: ``'rgb'``, ``'flow'`` or ``'both'``.

Then a marker file, ``.flow_done.json``
(:mod:`tsdistill.utils.rawframe_marker`), is written, last and atomically.
It records the task done, the numbers of RGB frames and flow pairs, and the
settings (:func:`flow_settings`: backend, bound, short side, M1's
hyper-parameters). A part (RGB or flow) counts as done only if the marker
lists it; a folder without the marker is unfinished. A marker written
before tasks were recorded lists the flow only.

Resuming compares each folder's marker with the run:

- a part the marker lists whose files are not as many as the marker
  counts (some deleted since, ...;
  :func:`~tsdistill.utils.rawframe_marker.count_mismatches`, the check
  ``prepare_annotations`` makes too) is not done: it is written again if
  the task asks for it, else taken off the marker; a warning names the
  folder and the counts;
- everything the task asks for is done, with the same short side and (for
  the flow) the same settings: skipped, untouched;
- done for another task (e.g. ``'flow'`` when the run asks for
  ``'both'``): only the missing part is written, from the video decoded
  again at the same short side; the done part is kept byte for byte, and
  the marker lists it alone until the missing part is complete. A kept
  part must still match the video (as many frames as before), else the
  video fails;
- done with another short side, or (for a flow the task asks for) other
  flow settings: :class:`FlowSettingsError`, before anything is computed,
  unless ``overwrite=True``, which writes what the task asks for and
  recomputes the parts that differ (with another short side, every part
  the folder holds), keeping the others. The flow settings of a kept flow
  do not matter for a run that writes RGB frames only.

Sharding: with ``world_size`` ranks (given, or torchrun's ``RANK`` /
``WORLD_SIZE`` or slurm's ``SLURM_PROCID`` / ``SLURM_NTASKS``), rank ``r``
takes every ``world_size``-th video of the de-duplicated list, starting at
the ``r``-th (:func:`shard`): the shards are disjoint and together hold the
whole list, so no rank writes or checks another's folders.
"""
import inspect
import logging
import multiprocessing
import os
import os.path as osp
import traceback
from typing import (Any, Dict, Iterable, List, NamedTuple, Optional, Sequence,
                    Tuple)

import cv2
import numpy as np
from mmengine.logging import print_log

from ..models.flow.opencv_tvl1 import dual_tvl1_flow
from ..utils.flow_io import (FLOW_FILE, RGB_FILE, write_flow_jpegs,
                             write_rgb_jpegs)
from ..utils.progress import progress_bar
from ..utils.rawframe_marker import (DONE_MARKER, TASK_PARTS, count_mismatches,
                                     marker_parts, read_done_marker,
                                     settings_diff, write_done_marker)
from ..utils.video_check import MIN_FRAMES, container_problem


class VideoReadError(RuntimeError):
    """A video could not be decoded (the message names the file)."""


class FlowSettingsError(ValueError):
    """Finished flow folders hold flow computed with other settings."""


class ListLineError(ValueError):
    """A line of the video list that mmaction2 cannot read (file:line)."""


class DeviceError(RuntimeError):
    """The torch device asked for is not available here."""


def read_ann_file(ann_file: str) -> List[str]:
    """Video paths of an mmaction2 ``VideoDataset`` list.

    Args:
        ann_file (str): Lines ``<relative video path> <label>``; blank lines
            are skipped.

    Returns:
        list[str]: The relative video paths, in order.

    Raises:
        ListLineError: A line whose fields after the first are not all
            integer labels, e.g. a path holding whitespace, which mmaction2
            cannot read either (the message names the list and the line).
    """
    videos = []
    with open(ann_file, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if not all(p.lstrip('-').isdigit() for p in parts[1:]):
                raise ListLineError(
                    f'{ann_file}:{number}: expected "<video> <label>", got '
                    f'{line.strip()!r} (a path cannot hold whitespace: '
                    "mmaction2's VideoDataset splits list lines on it)")
            videos.append(parts[0])
    return videos


def output_dir(out_root: str, video: str) -> str:
    """``<out_root>/<video without extension>``."""
    return osp.join(out_root, osp.splitext(video)[0])


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    return value


def flow_settings(backend: str,
                  bound: float,
                  short_side: Optional[int] = None,
                  flow_cfg: Optional[dict] = None) -> Dict[str, Any]:
    """What the flow JPEGs of a video depend on, as stored in its marker.

    Args:
        backend (str): ``'module'`` or ``'opencv'``.
        bound (float): Clipping bound of the JPEGs (pixels).
        short_side (int, optional): Resize before computing flow.
            Defaults to ``None``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments
            (module backend). Defaults to ``None``.

    Returns:
        dict: JSON-compatible settings; for the module backend ``flow_cfg``
        holds every ``TVL1OpticalFlow`` argument (its defaults filled in),
        so ``{}`` and the defaults written out compare equal, except those
        that choose how M1 runs, not its flow
        (``TVL1OpticalFlow.RUNTIME_ARGUMENTS``: ``backend``). The OpenCV
        backend uses OpenCV's defaults and has ``flow_cfg=None``.
    """
    effective = None
    if backend == 'module':
        from ..models.flow import TVL1OpticalFlow
        params = inspect.signature(TVL1OpticalFlow.__init__).parameters
        effective = {
            name: p.default
            for name, p in params.items() if p.default is not p.empty
        }
        effective.update(flow_cfg or {})
        for name in TVL1OpticalFlow.RUNTIME_ARGUMENTS:
            effective.pop(name, None)
    return _jsonable(
        dict(
            backend=backend,
            bound=float(bound),
            short_side=int(short_side) if short_side else None,
            flow_cfg=effective))


#: Frame pairs per M1 forward when not given, by device type. On the
#: 2-core CPU of the extraction benchmark (docs/benchmarks.md; 100 clips of
#: 320x240) M1 took 144 ms per pair at 1 pair per forward, 80 ms at 8,
#: about 100 ms at 16-32 and 267 ms at 64, where the working set leaves the
#: cache; a GPU is kept busy by large batches.
DEFAULT_MAX_PAIRS = dict(cpu=8, cuda=64)


def default_max_pairs(device: str) -> int:
    """Pairs per M1 forward for ``device`` (:data:`DEFAULT_MAX_PAIRS`).

    Args:
        device (str): A torch device, e.g. ``'cpu'`` or ``'cuda:1'``.

    Returns:
        int: 8 on the CPU, 64 on CUDA and other accelerators.
    """
    import torch
    kind = torch.device(device).type
    return DEFAULT_MAX_PAIRS.get(kind, DEFAULT_MAX_PAIRS['cuda'])


def check_device(device: Optional[str]) -> str:
    """The torch device to use; fails at once if it is not available.

    Args:
        device (str, optional): ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ...;
            ``None`` picks CUDA if available.

    Returns:
        str: The device.

    Raises:
        DeviceError: CUDA was asked for and is not available, or the
            device name is invalid.
    """
    import torch
    if device is None:
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    try:
        dev = torch.device(device)
    except RuntimeError as error:
        raise DeviceError(f'invalid device {device!r}: {error}') from error
    if dev.type == 'cuda':
        if not torch.cuda.is_available():
            raise DeviceError(f'device {device!r}: CUDA is not available '
                              'here (use --device cpu)')
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(f'device {device!r}: only '
                              f'{torch.cuda.device_count()} CUDA device(s)')
    return str(dev)


def _resize_short_side(frame: np.ndarray, short_side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = short_side / min(h, w)
    if scale == 1:
        return frame
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(
        frame,
        size,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def read_video(path: str,
               short_side: Optional[int] = None,
               indices: Optional[Sequence[int]] = None) -> np.ndarray:
    """Decode a video with decord.

    Args:
        path (str): Video file.
        short_side (int, optional): Resize so the shorter side has this
            length. Defaults to ``None`` (no resize).
        indices (Sequence[int], optional): Frames to decode (clipped to the
            video length). Defaults to ``None`` (all frames).

    Returns:
        np.ndarray: ``(T, H, W, 3)`` uint8 RGB.

    Raises:
        VideoReadError: Missing, undecodable or frame-less video.
    """
    reader = _open_video(path)
    try:
        n = len(reader)
        if n == 0:
            raise VideoReadError(f'{path}: no frames')
        if indices is None:
            indices = range(n)
        indices = [min(max(int(i), 0), n - 1) for i in indices]
        frames = reader.get_batch(indices).asnumpy()
    except VideoReadError:
        raise
    except Exception as e:  # decord raises its own error types
        raise VideoReadError(f'{path}: cannot decode '
                             f'({type(e).__name__}: {e})') from e
    if short_side:
        frames = np.stack([_resize_short_side(f, short_side) for f in frames])
    return frames


def _open_video(path: str):
    """decord reader of ``path`` (by path; truncated AVIs refused)."""
    if not osp.isfile(path):
        raise VideoReadError(f'{path}: no such file')
    try:
        problem = container_problem(path)
    except OSError as e:
        raise VideoReadError(f'{path}: {e}') from e
    if problem is not None:
        raise VideoReadError(f'{path}: {problem}')
    try:
        import decord
        return decord.VideoReader(path, num_threads=1)
    except Exception as e:  # decord raises its own error types
        raise VideoReadError(f'{path}: cannot decode '
                             f'({type(e).__name__}: {e})') from e


def video_length(path: str) -> int:
    """Number of frames decord finds in a video.

    Raises:
        VideoReadError: Missing, truncated or unreadable video.
    """
    reader = _open_video(path)
    try:
        return len(reader)
    except Exception as e:  # decord raises its own error types
        raise VideoReadError(f'{path}: cannot decode '
                             f'({type(e).__name__}: {e})') from e


def compute_flow_module(frames: np.ndarray,
                        flow_cfg: Optional[dict] = None,
                        device: Optional[str] = None,
                        max_pairs: Optional[int] = None,
                        module=None) -> np.ndarray:
    """Flow between consecutive frames with M1, batched over the pairs.

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB, ``T >= 2``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments
            (M1 reads the raw 0..255 frames). Defaults to ``None``.
        device (str, optional): Torch device; ``None``: CUDA if available.
            Defaults to ``None``.
        max_pairs (int, optional): Pairs per batch (long videos are split
            into windows overlapping by one frame, to bound memory);
            ``None``: :func:`default_max_pairs` of the device. Defaults to
            ``None``.
        module (TVL1OpticalFlow, optional): A built module to reuse.
            Defaults to ``None``.

    Returns:
        np.ndarray: ``(T-1, H, W, 2)`` float32 flow in pixels.
    """
    import torch

    from ..models.flow import TVL1OpticalFlow
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if max_pairs is None:
        max_pairs = default_max_pairs(device)
    if module is None:
        module = TVL1OpticalFlow(**(flow_cfg or {}))
    module = module.to(device).eval()
    clip = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    # (T, H, W, 3) -> (1, 3, T, H, W)
    clip = clip.permute(3, 0, 1, 2).unsqueeze(0).float()
    out = []
    with torch.no_grad():
        for s in range(0, clip.shape[2] - 1, max_pairs):
            flow = module(clip[:, :, s:s + max_pairs + 1])
            out.append(flow[0].permute(1, 2, 3, 0).cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def compute_flow_opencv(frames: np.ndarray) -> np.ndarray:
    """Flow between consecutive frames with OpenCV's DualTVL1 (defaults).

    :func:`~tsdistill.models.flow.opencv_tvl1.dual_tvl1_flow`, by this
    module's name (the OpenCV backend's workers call it).

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB.

    Returns:
        np.ndarray: ``(T-1, H, W, 2)`` float32 flow in pixels.
    """
    return dual_tvl1_flow(frames)


class _Job(NamedTuple):
    """One video to (partly) write; ``keep`` lists the parts left alone."""
    video: str
    path: str
    out_dir: str
    write: Tuple[str, ...]
    keep: Tuple[str, ...]
    marker: Optional[dict]


def _clear_outputs(out_dir: str, parts: Iterable[str]) -> None:
    """Remove the files of ``parts`` (``'rgb'``, ``'flow'``) from a folder.

    Listed rather than globbed, as HMDB51 names hold ``[`` and ``]``.
    """
    if not osp.isdir(out_dir):
        return
    patterns = []
    if 'rgb' in parts:
        patterns.append(RGB_FILE)
    if 'flow' in parts:
        patterns.append(FLOW_FILE)
    for name in os.listdir(out_dir):
        if any(p.match(name) for p in patterns):
            os.remove(osp.join(out_dir, name))


def _extract_video(job: _Job, settings: dict, short_side: Optional[int],
                   bound: float, compute_flow) -> None:
    """Write the parts ``job.write`` of one video, then its marker.

    The marker is first reduced to the kept parts (removed if none are
    kept), so a kill while the files are written leaves no part listed
    that is not complete.

    Raises:
        VideoReadError: The video cannot be decoded, has fewer than
            :data:`~tsdistill.utils.video_check.MIN_FRAMES` frames for
            flow, or decodes to another number of frames than
            the kept part holds.
    """
    frames = read_video(job.path, short_side=short_side)
    num = len(frames)
    if 'flow' in job.write and num < MIN_FRAMES:
        raise VideoReadError(
            f'{job.path}: decord finds {num} frame(s); at least '
            f'{MIN_FRAMES} are needed (flow is computed between consecutive '
            'frames)')
    old = job.marker
    expected = dict(
        rgb=(old and old['num_frames'], num, 'RGB frames'),
        flow=(old and old['num_pairs'], num - 1, 'flow pairs'))
    for part in job.keep:
        held, want, what = expected[part]
        if held != want:
            raise VideoReadError(
                f'{job.path}: decodes to {num} frames, but {job.out_dir} '
                f'holds {held} {what} of an earlier run ({want} expected): '
                'the video changed since; remove that folder and run again')
    flows = compute_flow(frames) if 'flow' in job.write else None
    os.makedirs(job.out_dir, exist_ok=True)
    if job.keep:
        if old is not None and set(marker_parts(old)) != set(job.keep):
            write_done_marker(job.out_dir, job.keep, *_counts(old, job.keep),
                              old['settings'])
    elif osp.isfile(osp.join(job.out_dir, DONE_MARKER)):
        os.remove(osp.join(job.out_dir, DONE_MARKER))
    _clear_outputs(job.out_dir,
                   [p for p in ('rgb', 'flow') if p not in job.keep])
    if 'rgb' in job.write:
        write_rgb_jpegs(job.out_dir, frames)
    if flows is not None:
        write_flow_jpegs(job.out_dir, flows, bound)
    # the settings describe the flow in the folder (and the shared size)
    if 'flow' in job.keep:
        settings = old['settings']
    num_frames, num_pairs = _counts(old, job.keep)
    if 'rgb' in job.write:
        num_frames = num
    if flows is not None:
        num_pairs = len(flows)
    write_done_marker(job.out_dir,
                      set(job.keep) | set(job.write), num_frames, num_pairs,
                      settings)


def _counts(marker: Optional[dict], parts: Iterable[str]) -> Tuple[int, int]:
    """``(num_frames, num_pairs)`` of a marker's ``parts`` (0 for others)."""
    if marker is None:
        return 0, 0
    return (marker['num_frames'] if 'rgb' in parts else 0,
            marker['num_pairs'] if 'flow' in parts else 0)


def _opencv_task(
    args: Tuple[_Job, dict, Optional[int],
                float]) -> Tuple[str, Optional[str]]:
    """Worker: one video with OpenCV. Returns ``(video, error or None)``."""
    job, settings, short_side, bound = args
    cv2.setNumThreads(1)
    try:
        _extract_video(job, settings, short_side, bound, compute_flow_opencv)
        return job.video, None
    except VideoReadError as e:
        return job.video, str(e)
    except Exception as e:  # report, keep the pool going
        return job.video, (f'{job.path}: {type(e).__name__}: {e}\n'
                           f'{traceback.format_exc()}')


def dist_env() -> Tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` of this process.

    From torchrun's ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK``, else from
    slurm's ``SLURM_PROCID`` / ``SLURM_NTASKS`` / ``SLURM_LOCALID``, else
    ``(0, 1, 0)``.
    """
    for rank, size, local in (('RANK', 'WORLD_SIZE', 'LOCAL_RANK'),
                              ('SLURM_PROCID', 'SLURM_NTASKS',
                               'SLURM_LOCALID')):
        if rank in os.environ and size in os.environ:
            return (int(os.environ[rank]), int(os.environ[size]),
                    int(os.environ.get(local, os.environ[rank])))
    return 0, 1, 0


def shard(videos: Sequence[str], rank: int, world_size: int) -> List[str]:
    """The videos of one rank: every ``world_size``-th, from the ``rank``-th.

    The list is de-duplicated first (first occurrence kept), so a video
    listed twice is still written by one rank only.

    Args:
        videos (Sequence[str]): The whole list, the same on every rank.
        rank (int): This rank, ``0 <= rank < world_size``.
        world_size (int): Number of ranks, ``>= 1``.

    Returns:
        list[str]: This rank's videos, in list order.

    Raises:
        ValueError: ``rank`` or ``world_size`` out of range.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} of world size {world_size}: need '
                         'world_size >= 1 and 0 <= rank < world_size')
    return list(dict.fromkeys(videos))[rank::world_size]


def extract_flow(ann_file: str,
                 data_root: str,
                 out_root: str,
                 backend: str = 'module',
                 flow_cfg: Optional[dict] = None,
                 device: Optional[str] = None,
                 num_workers: int = 1,
                 short_side: Optional[int] = None,
                 bound: float = 20.0,
                 progress: bool = True,
                 overwrite: bool = False,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None,
                 max_pairs: Optional[int] = None,
                 task: str = 'flow') -> Dict[str, object]:
    """Precompute flow (and / or RGB frames) for a video annotation list.

    Args:
        ann_file (str): ``VideoDataset`` list (``<video> <label>`` lines).
        data_root (str): Directory the video paths are relative to.
        out_root (str): Output root of the rawframe directories.
        backend (str): ``'module'`` (M1, batched, on ``device``) or
            ``'opencv'`` (DualTVL1 in ``num_workers`` processes). Defaults
            to ``'module'``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments
            for the module backend. Defaults to ``None``.
        device (str, optional): Torch device of the module backend,
            checked before any video is read; ``None``: CUDA if available
            (with several ranks, ``cuda:<local rank>`` modulo the number of
            GPUs). Defaults to ``None``.
        num_workers (int): Worker processes of the OpenCV backend.
            Defaults to ``1``.
        short_side (int, optional): Resize frames so the shorter side has
            this length first. Defaults to ``None``.
        bound (float): Flow clipping bound of the JPEGs (pixels). Defaults
            to ``20.0``.
        progress (bool): Show an mmengine progress bar (videos per second
            and ETA). Defaults to ``True``.
        overwrite (bool): Redo the finished videos whose marker records
            other settings (:func:`flow_settings`), instead of raising (see
            the module docstring for which parts are recomputed). Defaults
            to ``False``.
        rank (int, optional): This process's shard (see :func:`shard`);
            ``None`` with ``world_size=None``: from the environment
            (:func:`dist_env`). Defaults to ``None``.
        world_size (int, optional): Number of shards. Defaults to ``None``.
        max_pairs (int, optional): Frame pairs per M1 forward (a longer
            video is computed in windows of this many pairs); ``None``:
            :func:`default_max_pairs` of the device (8 on the CPU, 64 on a
            GPU). Defaults to ``None``.
        task (str): What to write, as mmaction2's ``build_rawframes.py
            --task``: ``'rgb'`` (``img_%05d.jpg``), ``'flow'``
            (``{x,y}_%05d.jpg``) or ``'both'``. Defaults to ``'flow'``
            (``tools/extract_flow.py``'s ``--task`` defaults to
            ``'both'``).

    Returns:
        dict: ``task``; ``done`` (list of videos written this run, wholly
        or in part), ``skipped`` (already complete for the task with the
        same settings), ``completed`` (done for another task; the missing
        part was written, the rest kept), ``redone`` (complete with other
        settings, computed again; with ``overwrite``), ``incomplete``
        (``{video: message}``: marked parts whose files disagree with the
        marker's counts,
        :func:`~tsdistill.utils.rawframe_marker.count_mismatches`; written
        again if the task asks for them, else taken off the marker; also
        logged as warnings), ``failed`` (``{video: message}``), ``rank``
        and ``world_size``.

    Raises:
        FlowSettingsError: Without ``overwrite``, if any finished video of
            this rank's shard was computed with other settings; nothing is
            computed.
        DeviceError: ``device`` is not available.
    """
    if backend not in ('module', 'opencv'):
        raise ValueError(f"backend must be 'module' or 'opencv', got "
                         f'{backend!r}')
    if (rank is None) != (world_size is None):
        raise ValueError('give both rank and world_size, or neither (then '
                         'they come from RANK / WORLD_SIZE or slurm)')
    env_rank, env_size, local_rank = dist_env()
    if rank is None:
        rank, world_size = env_rank, env_size
    elif (rank, world_size) != (env_rank, env_size):
        local_rank = rank
    if max_pairs is not None and max_pairs < 1:
        raise ValueError(f'max_pairs must be >= 1, got {max_pairs}')
    if task not in TASK_PARTS:
        raise ValueError(f"task must be 'rgb', 'flow' or 'both', got "
                         f'{task!r}')
    videos = shard(read_ann_file(ann_file), rank, world_size)
    if backend == 'module':
        if device is None and world_size > 1:
            import torch
            if torch.cuda.is_available():
                device = f'cuda:{local_rank % torch.cuda.device_count()}'
        device = check_device(device)
        if max_pairs is None:
            max_pairs = default_max_pairs(device)
    parts = TASK_PARTS[task]
    settings = flow_settings(backend, bound, short_side, flow_cfg)
    report: Dict[str, object] = dict(
        task=task,
        done=[],
        skipped=[],
        completed=[],
        redone=[],
        incomplete={},
        failed={},
        rank=rank,
        world_size=world_size)
    todo, mismatched = [], []
    for video in videos:
        out_dir = output_dir(out_root, video)
        try:
            marker = read_done_marker(out_dir)
        except ValueError:
            marker = None  # interrupted while writing it: redo
        done = marker_parts(marker)
        # a part whose files disagree with the marker (deleted since, ...)
        # is not done: written again if the task asks for it, else taken
        # off the marker
        mismatches = count_mismatches(out_dir, marker)
        if mismatches:
            done = tuple(p for p in done if p not in mismatches)
            _report_mismatches(report, video, mismatches, parts)
            if not done:
                marker = None  # nothing kept: no settings to compare
            elif all(p in done for p in parts):
                write_done_marker(out_dir, done, *_counts(marker, done),
                                  marker['settings'])
        old = None if marker is None else marker['settings']
        redo = set()
        if marker is not None and (old is None or old.get('short_side')
                                   != settings['short_side']):
            # frames of another size: every part of the folder differs
            mismatched.append((video, settings_diff(old, settings)))
            if not overwrite:
                continue
            redo = set(done)
        elif 'flow' in done:
            if 'flow' in parts and old != settings:
                mismatched.append((video, settings_diff(old, settings)))
                if not overwrite:
                    continue
                redo.add('flow')
        keep = tuple(p for p in done if p not in redo)
        write = tuple(
            p for p in ('rgb', 'flow')
            if (p in parts or p in redo) and p not in keep)
        if redo:
            report['redone'].append(video)
        elif write and done and video not in report['incomplete']:
            report['completed'].append(video)
        elif not write:
            report['skipped'].append(video)
        if write:
            todo.append(
                _Job(video, osp.join(data_root, video), out_dir, write, keep,
                     marker))
    if mismatched and not overwrite:
        shown = [f'  {output_dir(out_root, v)}: {d}' for v, d in mismatched]
        raise FlowSettingsError(
            f'{len(mismatched)} finished folder(s) under {out_root} were '
            'computed with other settings than this run\'s; rerun with the '
            'same settings, or with --overwrite to redo them:\n' +
            _first_lines(shown))
    bar = progress_bar(len(todo), progress)

    def record(video: str, error: Optional[str]) -> None:
        if error is None:
            report['done'].append(video)
        else:
            report['failed'][video] = error
        bar.update()

    if backend == 'module':
        module = None
        if any('flow' in job.write for job in todo):
            from ..models.flow import TVL1OpticalFlow
            module = TVL1OpticalFlow(**(flow_cfg or {}))

        def compute(frames: np.ndarray) -> np.ndarray:
            return compute_flow_module(
                frames, device=device, max_pairs=max_pairs, module=module)

        for job in todo:
            try:
                _extract_video(job, settings, short_side, bound, compute)
                record(job.video, None)
            except VideoReadError as e:
                record(job.video, str(e))
    else:
        tasks = [(job, settings, short_side, bound) for job in todo]
        for video, error in _run_pool(tasks, num_workers):
            record(video, error)
    if progress and todo:
        print()
    return report


def _report_mismatches(report: Dict[str, object], video: str,
                       mismatches: Dict[str, str], parts: Sequence[str]):
    """Record and log the parts of a finished folder that lost files."""
    redo = [p for p in ('rgb', 'flow') if p in mismatches and p in parts]
    drop = [p for p in ('rgb', 'flow') if p in mismatches and p not in parts]
    names = dict(rgb='RGB frames', flow='flow')
    actions = []
    if redo:
        actions.append('extracting the ' +
                       ' and '.join(names[p] for p in redo) + ' again')
    if drop:
        them = 'them' if drop == ['rgb'] else 'it'
        actions.append(f'taking the {names[drop[0]]} off its {DONE_MARKER} '
                       f'(this run\'s task does not write {them}; run with '
                       f'--task both to extract {them} again)')
    reason = '; '.join(mismatches[p] for p in ('rgb', 'flow')
                       if p in mismatches) + ': ' + ', '.join(actions)
    report['incomplete'][video] = reason
    print_log(f'{video}: {reason}', logger='current', level=logging.WARNING)


def _first_lines(lines: List[str], limit: int = 20) -> str:
    return '\n'.join(lines[:limit]) + (f'\n  ... ({len(lines)} in all)'
                                       if len(lines) > limit else '')


def _run_pool(tasks: list, num_workers: int) -> Iterable[Tuple[str, str]]:
    if num_workers <= 1 or len(tasks) <= 1:
        yield from map(_opencv_task, tasks)
        return
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(num_workers) as pool:
        yield from pool.imap_unordered(_opencv_task, tasks)


def format_report(report: Dict[str, object]) -> str:
    """Human-readable summary; failed and incomplete videos listed by name."""
    redone = report.get('redone', [])
    incomplete = report.get('incomplete', {})
    completed = report.get('completed', [])
    world_size = report.get('world_size', 1)
    what = {
        'flow': 'flow',
        'rgb': 'RGB frames',
        'both': 'RGB frames and flow'
    }[report.get('task', 'flow')]
    head = f"{what} extracted: {len(report['done'])} videos"
    if world_size > 1:
        head = f"rank {report['rank']} of {world_size}: {head}"
    if redone:
        head += f' ({len(redone)} redone: other settings)'
    if completed:
        head += (', completed (the part another task left out added): '
                 f'{len(completed)}')
    if incomplete:
        head += (', incomplete against their marker (files missing or '
                 f'added since): {len(incomplete)}')
    lines = [
        f"{head}, skipped (already complete): {len(report['skipped'])}, "
        f"failed: {len(report['failed'])}"
    ]
    for video, reason in sorted(incomplete.items()):
        lines.append(f'  INCOMPLETE {video}: {reason}')
    for video, error in sorted(report['failed'].items()):
        lines.append(f'  FAILED {video}: {error.splitlines()[0]}')
    return os.linesep.join(lines)
