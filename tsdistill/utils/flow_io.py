# Copyright (c) tsdistill authors. All rights reserved.
"""Optical-flow files (Middlebury ``.flo``) and mmaction2's rawframes.

- ``.flo`` (Middlebury, also mmflow's and most flow data sets' format):
  the float32 magic number ``202021.25`` (bytes ``PIEH``), int32 width and
  height, then ``H * W * 2`` little-endian float32 ``(u, v)`` row-major;
  read and written with mmcv's ``flowread`` / ``flowwrite``, after the
  checks mmcv does not make (:func:`read_flo`, :func:`write_flo`).
- Rawframe flow (mmaction2's ``RawframeDataset`` with ``modality='Flow'``):
  one greyscale JPEG per component and pair, ``x_%05d.jpg`` and
  ``y_%05d.jpg`` (1-based) beside the RGB frames' ``img_%05d.jpg``, as
  mmaction2's ``RawFrameDecode`` reads them with
  ``filename_tmpl='{}_{:05d}.jpg'`` (:data:`FLOW_TMPL`) and as mmaction2's
  own test data holds them; flow clipped to ``[-bound, bound]`` (20 px by
  mmaction2's tools) and mapped linearly to ``0..255``.
- RGB rawframes (``RawframeDataset`` with ``modality='RGB'``, its default
  ``filename_tmpl='img_{:05}.jpg'``): one colour JPEG per frame,
  ``img_%05d.jpg`` (1-based, :data:`RGB_TMPL`), in the same folder.
"""
import os
import os.path as osp
import re
from collections import Counter
from typing import Iterable, Iterator, List, Optional, Tuple

import cv2
import mmcv
import numpy as np

#: a ``.flo`` file's first 4 bytes, ``PIEH``, as a little-endian float32
FLO_MAGIC = 202021.25
#: bytes before the flow values of a ``.flo`` file: magic, width, height
FLO_HEADER_BYTES = 12
#: mmaction2's ``filename_tmpl`` of flow rawframes: ``.format('x', i)``
FLOW_TMPL = '{}_{:05d}.jpg'
FLOW_X_TMPL = 'x_{:05d}.jpg'
FLOW_Y_TMPL = 'y_{:05d}.jpg'
#: a flow JPEG's name, mmaction2's layout
FLOW_FILE = re.compile(r'^(?P<axis>[xy])_(?P<index>\d+)\.jpg$')
#: mmaction2's ``filename_tmpl`` of RGB rawframes (``RawframeDataset``'s
#: default)
RGB_TMPL = 'img_{:05d}.jpg'
#: an RGB frame's name, mmaction2's layout
RGB_FILE = re.compile(r'^img_(?P<index>\d+)\.jpg$')


def count_flow_files(flow_dir: str) -> Counter:
    """Flow JPEGs of a folder per axis (mmaction2's names).

    Listed rather than globbed: HMDB51 file names hold ``[`` and ``]``.

    Args:
        flow_dir (str): A rawframe folder.

    Returns:
        Counter: ``{'x': n, 'y': n}`` of ``x_%05d.jpg`` / ``y_%05d.jpg``
        files; empty if the folder is missing.
    """
    counts = Counter()
    if not osp.isdir(flow_dir):
        return counts
    for name in os.listdir(flow_dir):
        match = FLOW_FILE.match(name)
        if match:
            counts[match['axis']] += 1
    return counts


def count_rgb_files(frame_dir: str) -> int:
    """Number of ``img_%05d.jpg`` files in a folder (0 if it is missing).

    Listed rather than globbed: HMDB51 file names hold ``[`` and ``]``.
    """
    if not osp.isdir(frame_dir):
        return 0
    return sum(1 for name in os.listdir(frame_dir) if RGB_FILE.match(name))


def read_flo(path: str) -> np.ndarray:
    """Read a Middlebury ``.flo`` file with ``mmcv.flowread``, checked.

    mmcv reads the width and height unchecked and reshapes whatever
    follows; the header and the file's size are checked here first.

    Args:
        path (str): File path.

    Returns:
        np.ndarray: ``(H, W, 2)`` float32 flow, channel 0 = x.

    Raises:
        FileNotFoundError: No such file (named).
        ValueError: A truncated header, a wrong magic number, a width or
            height below 1, or a size other than the header's (truncated
            data or trailing bytes); the message names the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'missing flow file {path}')
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        header = f.read(FLO_HEADER_BYTES)
    if len(header) < FLO_HEADER_BYTES:
        raise ValueError(f'{path}: truncated .flo header ({len(header)} of '
                         f'{FLO_HEADER_BYTES} bytes)')
    if header[:4] != b'PIEH':
        raise ValueError(f'{path}: not a .flo file (the first 4 bytes must '
                         f'be the magic PIEH, float {FLO_MAGIC}; found '
                         f'{header[:4]!r})')
    w, h = (int(v) for v in np.frombuffer(header[4:], '<i4'))
    if w < 1 or h < 1:
        raise ValueError(f'{path}: bad .flo header, width {w} and height {h}')
    expected = FLO_HEADER_BYTES + h * w * 2 * 4
    if size != expected:
        what = ('truncated .flo data'
                if size < expected else f'{size - expected} trailing bytes')
        raise ValueError(f'{path}: {what}: {size} bytes, but its header says '
                         f'{w}x{h} flow, {expected} bytes')
    return mmcv.flowread(os.fspath(path))


def write_flo(path: str, flow: np.ndarray) -> None:
    """Write a Middlebury ``.flo`` file with ``mmcv.flowwrite``.

    Args:
        path (str): File path; parent directories are created.
        flow (np.ndarray): ``(H, W, 2)`` flow in pixels (written as
            float32).

    Raises:
        ValueError: ``flow`` is not ``(H, W, 2)`` (the file is named).
    """
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f'{path}: flow must be (H, W, 2), got '
                         f'{flow.shape}')
    _makedirs_for(path)
    mmcv.flowwrite(flow, path)


def quantize_flow(flow: np.ndarray,
                  bound: float = 20.0) -> Tuple[np.ndarray, np.ndarray]:
    """Flow to two ``uint8`` images, mmcv's / mmaction2's quantisation.

    ``mmcv.quantize_flow(flow, max_val=bound, norm=False)``: ``q =
    min(floor(255 * (clip(f, -bound, bound) + bound) / (2 bound)), 254)``
    per component, so :func:`dequantize_flow` returns bin centres.

    Args:
        flow (np.ndarray): ``(H, W, 2)`` flow in pixels.
        bound (float): Clipping bound in pixels. Defaults to ``20.0``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(H, W)`` uint8 x and y images.
    """
    return mmcv.quantize_flow(flow, max_val=bound, norm=False)


def dequantize_flow(flow_x: np.ndarray,
                    flow_y: np.ndarray,
                    bound: float = 20.0) -> np.ndarray:
    """Inverse of :func:`quantize_flow` (bin centres).

    ``mmcv.dequantize_flow(flow_x, flow_y, max_val=bound, denorm=False)``
    (computed in float64), as float32.

    Args:
        flow_x (np.ndarray): ``(H, W)`` uint8 x image.
        flow_y (np.ndarray): ``(H, W)`` uint8 y image.
        bound (float): The bound used to quantise. Defaults to ``20.0``.

    Returns:
        np.ndarray: ``(H, W, 2)`` float32 flow in pixels.
    """
    return mmcv.dequantize_flow(
        flow_x, flow_y, max_val=bound, denorm=False).astype(np.float32)


def flow_jpeg_paths(out_dir: str, index: int) -> Tuple[str, str]:
    """Paths of the x / y JPEGs of pair ``index`` (1-based).

    Returns:
        tuple[str, str]: ``out_dir/x_%05d.jpg``, ``out_dir/y_%05d.jpg``.
    """
    return (osp.join(out_dir, FLOW_X_TMPL.format(index)),
            osp.join(out_dir, FLOW_Y_TMPL.format(index)))


def write_flow_jpegs(out_dir: str,
                     flows: np.ndarray,
                     bound: float = 20.0,
                     start_index: int = 1,
                     quality: int = 95) -> List[str]:
    """Write flows as mmaction2 rawframe JPEG pairs.

    Args:
        out_dir (str): Directory (created if missing).
        flows (np.ndarray): ``(T, H, W, 2)`` (or one ``(H, W, 2)``) flow.
        bound (float): Clipping bound in pixels. Defaults to ``20.0``.
        start_index (int): Index of the first pair in the file names.
            Defaults to ``1`` (mmaction2's ``filename_tmpl``).
        quality (int): JPEG quality. Defaults to ``95``.

    Returns:
        list[str]: The written paths, x and y per pair.
    """
    flows = np.asarray(flows)
    if flows.ndim == 3:
        flows = flows[None]
    if flows.ndim != 4 or flows.shape[-1] != 2:
        raise ValueError(f'{out_dir}: flows must be (T, H, W, 2), got '
                         f'{flows.shape}')

    def images() -> Iterator[Tuple[str, np.ndarray]]:
        # per pair: (x path, x image), then (y path, y image)
        for i, flow in enumerate(flows):
            paths = flow_jpeg_paths(out_dir, start_index + i)
            yield from zip(paths, quantize_flow(flow, bound))

    return _write_jpegs(out_dir, images(), quality)


def write_rgb_jpegs(out_dir: str,
                    frames: np.ndarray,
                    start_index: int = 1,
                    quality: int = 95) -> List[str]:
    """Write frames as mmaction2 RGB rawframes, ``img_%05d.jpg``.

    Args:
        out_dir (str): Directory (created if missing).
        frames (np.ndarray): ``(T, H, W, 3)`` uint8 RGB frames (written in
            JPEG's usual BGR order, so ``RawFrameDecode`` reads them back
            as RGB).
        start_index (int): Index of the first frame in the file names.
            Defaults to ``1`` (mmaction2's ``filename_tmpl``).
        quality (int): JPEG quality. Defaults to ``95``.

    Returns:
        list[str]: The written paths, in frame order.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or \
            frames.dtype != np.uint8:
        raise ValueError(f'{out_dir}: frames must be (T, H, W, 3) uint8, '
                         f'got {frames.shape} {frames.dtype}')
    images = ((osp.join(out_dir, RGB_TMPL.format(start_index + i)),
               cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
              for i, frame in enumerate(frames))
    return _write_jpegs(out_dir, images, quality)


def _write_jpegs(out_dir: str, images: Iterable[Tuple[str, np.ndarray]],
                 quality: int) -> List[str]:
    """Write ``(path, image)`` pairs into ``out_dir`` as JPEGs, in order.

    Args:
        out_dir (str): Directory of the paths (created if missing).
        images (Iterable[tuple[str, np.ndarray]]): Paths and uint8 images
            as ``cv2.imwrite`` takes them (greyscale or BGR).
        quality (int): JPEG quality.

    Returns:
        list[str]: The written paths.

    Raises:
        OSError: OpenCV did not write a file (the path is named).
    """
    os.makedirs(out_dir, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    written = []
    for path, img in images:
        if not cv2.imwrite(path, img, params):
            raise OSError(f'{path}: could not write JPEG')
        written.append(path)
    return written


def read_flow_jpegs(in_dir: str,
                    bound: float = 20.0,
                    start_index: int = 1,
                    num: Optional[int] = None) -> np.ndarray:
    """Read mmaction2 rawframe flow JPEG pairs back to pixels.

    Args:
        in_dir (str): Directory holding ``{x,y}_%05d.jpg``.
        bound (float): The bound they were written with. Defaults to
            ``20.0``.
        start_index (int): First index. Defaults to ``1``.
        num (int, optional): Number of pairs; ``None`` reads consecutive
            indices until a missing x file. Defaults to ``None``.

    Returns:
        np.ndarray: ``(T, H, W, 2)`` float32 flow.

    Raises:
        FileNotFoundError: A requested file is missing (named).
        ValueError: A file is not a readable greyscale image (named).
    """
    flows = []
    i = start_index
    while num is None or len(flows) < num:
        px, py = flow_jpeg_paths(in_dir, i)
        if num is None and not osp.exists(px):
            break
        imgs = []
        for path in (px, py):
            if not osp.exists(path):
                raise FileNotFoundError(f'{path}: missing flow JPEG')
            img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise ValueError(f'{path}: not a readable image')
            imgs.append(img)
        if imgs[0].shape != imgs[1].shape:
            raise ValueError(f'{px} and {py}: sizes differ '
                             f'({imgs[0].shape} vs {imgs[1].shape})')
        flows.append(dequantize_flow(imgs[0], imgs[1], bound))
        i += 1
    if not flows:
        raise FileNotFoundError(f'{in_dir}: no {FLOW_X_TMPL.format(i)}')
    return np.stack(flows)


def _makedirs_for(path: str) -> None:
    parent = osp.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
