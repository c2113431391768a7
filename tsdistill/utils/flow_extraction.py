# Copyright (c) tsdistill authors. All rights reserved.
"""Precompute TV-L1 flow for a video annotation list (rawframe JPEGs).

Two backends: ``'module'`` runs M1 (:class:`TVL1OpticalFlow`), batched over
the frame pairs of a video, on CUDA when available; ``'opencv'`` runs
OpenCV's CPU ``DualTVL1OpticalFlow`` in a pool of worker processes, one
video per task. Both write ``<out_root>/<video path without extension>/
flow_{x,y}_%05d.jpg`` (mmaction2's rawframe flow layout) and then a marker
file, ``.flow_done.json``, which records the number of flow frames and the
settings they were computed with (:func:`flow_settings`: backend, bound,
short side, M1's hyper-parameters). A folder without the marker is
unfinished. An interrupted run resumes by skipping the videos whose marker
holds the same settings; a marker with other settings is an error
(:class:`FlowSettingsError`, before anything is computed) unless
``overwrite=True``, which redoes those videos.
"""
import glob
import inspect
import json
import multiprocessing
import os
import os.path as osp
import traceback
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .flow_io import write_flow_jpegs
from .video_check import container_problem

DONE_MARKER = '.flow_done.json'
#: version of the marker's content (1: no settings, written before 2)
MARKER_VERSION = 2


class VideoReadError(RuntimeError):
    """A video could not be decoded (the message names the file)."""


class FlowSettingsError(ValueError):
    """Finished flow folders hold flow computed with other settings."""


class DeviceError(RuntimeError):
    """The torch device asked for is not available here."""


def read_ann_file(ann_file: str) -> List[str]:
    """Video paths of an mmaction2 ``VideoDataset`` list.

    Args:
        ann_file (str): Lines ``<relative video path> <label>``; blank lines
            are skipped.

    Returns:
        list[str]: The relative video paths, in order.
    """
    videos = []
    with open(ann_file) as f:
        for line in f:
            parts = line.split()
            if parts:
                videos.append(parts[0])
    return videos


def output_dir(out_root: str, video: str) -> str:
    """``<out_root>/<video without extension>``."""
    return osp.join(out_root, osp.splitext(video)[0])


def is_done(out_dir: str) -> bool:
    """Whether a previous run finished this video (marker written last)."""
    return osp.isfile(osp.join(out_dir, DONE_MARKER))


def read_done_marker(out_dir: str) -> Optional[dict]:
    """The marker of a finished flow folder.

    Args:
        out_dir (str): ``<out_root>/<video without extension>``.

    Returns:
        dict or None: ``None`` if there is no marker (unfinished or never
        started); otherwise ``num_pairs``, ``version`` and ``settings``
        (``None`` for a marker written before settings were recorded).

    Raises:
        ValueError: The marker cannot be read (the message names it).
    """
    path = osp.join(out_dir, DONE_MARKER)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            marker = json.load(f)
        marker['num_pairs'] = int(marker['num_pairs'])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f'{path}: unreadable flow marker '
                         f'({type(error).__name__}: {error})') from error
    marker.setdefault('version', 1)
    marker.setdefault('settings', None)
    return marker


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
        so ``{}`` and the defaults written out compare equal. The OpenCV
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
    return _jsonable(
        dict(
            backend=backend,
            bound=float(bound),
            short_side=int(short_side) if short_side else None,
            flow_cfg=effective))


def settings_diff(old: Optional[dict], new: dict) -> str:
    """What differs between two :func:`flow_settings` (``old -> new``)."""
    if old is None:
        return ('its marker records no settings (written by an older '
                'version)')
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            if isinstance(old.get(key), dict) and isinstance(
                    new.get(key), dict):
                sub = old[key], new[key]
                parts += [
                    f'{key}.{k}: {sub[0].get(k)!r} -> {sub[1].get(k)!r}'
                    for k in sorted(set(sub[0]) | set(sub[1]))
                    if sub[0].get(k) != sub[1].get(k)
                ]
            else:
                parts.append(f'{key}: {old.get(key)!r} -> {new.get(key)!r}')
    return ', '.join(parts)


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
                        max_pairs: int = 64,
                        module=None) -> np.ndarray:
    """Flow between consecutive frames with M1, batched over the pairs.

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB, ``T >= 2``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments
            (raw 0..255 input, so no ``input_mean``). Defaults to ``None``.
        device (str, optional): Torch device; ``None``: CUDA if available.
            Defaults to ``None``.
        max_pairs (int): Pairs per batch (long videos are split into
            windows overlapping by one frame, to bound memory). Defaults to
            ``64``.
        module (TVL1OpticalFlow, optional): A built module to reuse.
            Defaults to ``None``.

    Returns:
        np.ndarray: ``(T-1, H, W, 2)`` float32 flow in pixels.
    """
    import torch

    from ..models.flow import TVL1OpticalFlow
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
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

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB.

    Returns:
        np.ndarray: ``(T-1, H, W, 2)`` float32 flow in pixels.
    """
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    return np.stack([
        tvl1.calc(a, b, None) for a, b in zip(grey[:-1], grey[1:])
    ]).astype(np.float32)


def _write_done(out_dir: str, num_pairs: int, settings: dict) -> None:
    """Write the marker last, atomically (a kill leaves none or all)."""
    path = osp.join(out_dir, DONE_MARKER)
    with open(path + '.tmp', 'w') as f:
        json.dump(
            dict(
                version=MARKER_VERSION, num_pairs=num_pairs,
                settings=settings), f)
    os.replace(path + '.tmp', path)


def _clear_outputs(out_dir: str) -> None:
    """Remove a folder's marker (first) and flow JPEGs before redoing it."""
    marker = osp.join(out_dir, DONE_MARKER)
    if osp.isfile(marker):
        os.remove(marker)
    for name in glob.glob(osp.join(glob.escape(out_dir), 'flow_[xy]_*.jpg')):
        os.remove(name)


def _opencv_task(
    args: Tuple[str, str, str, Optional[int], float, dict]
) -> Tuple[str, Optional[str]]:
    """Worker: one video with OpenCV. Returns ``(video, error or None)``."""
    video, path, out_dir, short_side, bound, settings = args
    cv2.setNumThreads(1)
    try:
        frames = read_video(path, short_side=short_side)
        if len(frames) < 2:
            raise VideoReadError(f'{path}: fewer than 2 frames')
        _clear_outputs(out_dir)
        write_flow_jpegs(out_dir, compute_flow_opencv(frames), bound)
        _write_done(out_dir, len(frames) - 1, settings)
        return video, None
    except VideoReadError as e:
        return video, str(e)
    except Exception as e:  # report, keep the pool going
        return video, (f'{path}: {type(e).__name__}: {e}\n'
                       f'{traceback.format_exc()}')


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
                 overwrite: bool = False) -> Dict[str, object]:
    """Precompute flow for every video of an annotation list.

    Args:
        ann_file (str): ``VideoDataset`` list (``<video> <label>`` lines).
        data_root (str): Directory the video paths are relative to.
        out_root (str): Output root of the rawframe flow directories.
        backend (str): ``'module'`` (M1, batched, on ``device``) or
            ``'opencv'`` (DualTVL1 in ``num_workers`` processes). Defaults
            to ``'module'``.
        flow_cfg (dict, optional): ``TVL1OpticalFlow`` keyword arguments
            for the module backend. Defaults to ``None``.
        device (str, optional): Torch device of the module backend,
            checked before any video is read; ``None``: CUDA if available.
            Defaults to ``None``.
        num_workers (int): Worker processes of the OpenCV backend.
            Defaults to ``1``.
        short_side (int, optional): Resize frames so the shorter side has
            this length first. Defaults to ``None``.
        bound (float): Flow clipping bound of the JPEGs (pixels). Defaults
            to ``20.0``.
        progress (bool): Show an mmengine progress bar. Defaults to
            ``True``.
        overwrite (bool): Redo the finished videos whose marker records
            other settings (:func:`flow_settings`) instead of raising
            :class:`FlowSettingsError`. Defaults to ``False``.

    Returns:
        dict: ``done`` (list of videos written this run), ``skipped``
        (already complete with the same settings), ``redone`` (complete
        with other settings, computed again; with ``overwrite``),
        ``failed`` (``{video: message}``).

    Raises:
        FlowSettingsError: Without ``overwrite``, if any finished video of
            the list was computed with other settings; nothing is computed.
        DeviceError: ``device`` is not available.
    """
    if backend not in ('module', 'opencv'):
        raise ValueError(f"backend must be 'module' or 'opencv', got "
                         f'{backend!r}')
    if backend == 'module':
        device = check_device(device)
    settings = flow_settings(backend, bound, short_side, flow_cfg)
    videos = read_ann_file(ann_file)
    report: Dict[str, object] = dict(done=[], skipped=[], redone=[], failed={})
    todo, mismatched = [], []
    for video in videos:
        out_dir = output_dir(out_root, video)
        try:
            marker = read_done_marker(out_dir)
        except ValueError:
            marker = None  # interrupted while writing it: redo
        if marker is not None and marker['settings'] != settings:
            mismatched.append(
                (video, settings_diff(marker['settings'], settings)))
            if not overwrite:
                continue
            report['redone'].append(video)
        elif marker is not None:
            report['skipped'].append(video)
            continue
        todo.append((video, osp.join(data_root, video), out_dir))
    if mismatched and not overwrite:
        shown = [f'  {output_dir(out_root, v)}: {d}' for v, d in mismatched]
        raise FlowSettingsError(
            f'{len(mismatched)} finished flow folder(s) under {out_root} '
            'were computed with other settings than this run\'s; rerun '
            'with the same settings, or with --overwrite to redo them:\n' +
            '\n'.join(shown[:20]) +
            (f'\n  ... ({len(shown)} in all)' if len(shown) > 20 else ''))
    bar = _progress_bar(len(todo), progress)

    def record(video: str, error: Optional[str]) -> None:
        if error is None:
            report['done'].append(video)
        else:
            report['failed'][video] = error
        bar.update()

    if backend == 'module':
        from ..models.flow import TVL1OpticalFlow
        module = TVL1OpticalFlow(**(flow_cfg or {}))
        for video, path, out_dir in todo:
            try:
                frames = read_video(path, short_side=short_side)
                if len(frames) < 2:
                    raise VideoReadError(f'{path}: fewer than 2 frames')
                flows = compute_flow_module(
                    frames, device=device, module=module)
                _clear_outputs(out_dir)
                write_flow_jpegs(out_dir, flows, bound)
                _write_done(out_dir, len(flows), settings)
                record(video, None)
            except VideoReadError as e:
                record(video, str(e))
    else:
        tasks = [(v, p, o, short_side, bound, settings) for v, p, o in todo]
        for video, error in _run_pool(tasks, num_workers):
            record(video, error)
    if progress and todo:
        print()
    return report


def _run_pool(tasks: list, num_workers: int) -> Iterable[Tuple[str, str]]:
    if num_workers <= 1 or len(tasks) <= 1:
        yield from map(_opencv_task, tasks)
        return
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(num_workers) as pool:
        yield from pool.imap_unordered(_opencv_task, tasks)


class _NoBar:

    def update(self) -> None:
        pass


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return _NoBar()
    from mmengine.utils import ProgressBar
    return ProgressBar(total)


def format_report(report: Dict[str, object]) -> str:
    """Human-readable summary, failed videos listed by name."""
    redone = report.get('redone', [])
    lines = [
        f"flow extracted: {len(report['done'])} videos" +
        (f' ({len(redone)} redone: other settings)' if redone else '') +
        f", skipped (already complete): {len(report['skipped'])}, failed: "
        f"{len(report['failed'])}"
    ]
    for video, error in sorted(report['failed'].items()):
        lines.append(f'  FAILED {video}: {error.splitlines()[0]}')
    return os.linesep.join(lines)
