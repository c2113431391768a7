# Copyright (c) tsdistill authors. All rights reserved.
"""Frame pairs with ground-truth optical flow from real benchmarks.

Two layouts, read into :class:`FlowPair` (RGB ``uint8`` frames, ``(H, W,
2)`` float32 flow from the first frame to the second, channel 0 = x, and
the mask of the pixels whose flow is known):

- Middlebury (Baker et al., "A Database and Evaluation Methodology for
  Optical Flow", IJCV 2011): ``<root>/<Seq>/frame10.png, frame11.png,
  flow10.flo``, or the official download's split into
  ``<root>/other-data/<Seq>/frame10.png, frame11.png`` and
  ``<root>/other-gt-flow/<Seq>/flow10.flo`` (sequences without ground
  truth are then left out);
- FlyingChairs (Dosovitskiy et al., "FlowNet: Learning Optical Flow with
  Convolutional Networks", ICCV 2015): ``<root>/<id>_img1.ppm``,
  ``<id>_img2.ppm``, ``<id>_flow.flo`` (``.png`` frames too), all in one
  folder, as in the dataset's ``data/`` folder.

``.flo`` files (Middlebury's format: the float32 magic 202021.25, i.e. the
bytes ``PIEH``, int32 width and height, then row-major interleaved u, v
float32) are read with ``mmcv.flowread``, checked first
(:func:`tsdistill.utils.flow_io.read_flo`). A flow component of magnitude
above :data:`UNKNOWN_FLOW_THRESH` (Middlebury uses 1e10) marks an unknown
flow (occlusions, the image border); those pixels are outside
:attr:`FlowPair.valid` and must be left out of any error.
"""
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import cv2
import numpy as np

from ..utils import flow_io

#: A flow component above this (in magnitude) is unknown (Middlebury's
#: ``UNKNOWN_FLOW_THRESH``).
UNKNOWN_FLOW_THRESH = 1e9

#: Middlebury's frame and ground-truth names inside a sequence folder.
MIDDLEBURY_FILES = ('frame10.png', 'frame11.png', 'flow10.flo')

#: Frame extensions of a FlyingChairs-style folder, in order of preference.
CHAIRS_FRAME_EXTS = ('.ppm', '.png')


class FlowPairError(ValueError):
    """A flow benchmark file that cannot be used (the message names it)."""


@dataclass
class FlowPair:
    """Two frames and the ground-truth flow from the first to the second.

    Attributes:
        name (str): Sequence name (Middlebury) or file prefix (FlyingChairs).
        frame0 (np.ndarray): ``(H, W, 3)`` uint8 RGB first frame.
        frame1 (np.ndarray): ``(H, W, 3)`` uint8 RGB second frame.
        flow (np.ndarray): ``(H, W, 2)`` float32 flow in pixels, x then y;
            unknown entries as stored in the file.
        valid (np.ndarray): ``(H, W)`` bool, True where the flow is known.
    """

    name: str
    frame0: np.ndarray
    frame1: np.ndarray
    flow: np.ndarray
    valid: np.ndarray

    @property
    def shape(self) -> tuple:
        """``(H, W)`` of the frames."""
        return self.frame0.shape[:2]

    def downscaled(self, factor: int) -> 'FlowPair':
        """The pair at ``1 / factor`` of its size (for quick runs).

        Frames are averaged over ``factor x factor`` blocks
        (``cv2.INTER_AREA``), flow likewise and divided by ``factor``; a
        block's flow is known only if all of its pixels' are. Rows and
        columns beyond a multiple of ``factor`` are cropped.

        Args:
            factor (int): Integer down-sampling factor, >= 1.

        Returns:
            FlowPair: The smaller pair (``self`` for ``factor == 1``).
        """
        if factor < 1:
            raise ValueError(f'factor must be >= 1, got {factor}')
        if factor == 1:
            return self
        h, w = (s // factor for s in self.shape)
        if h < 1 or w < 1:
            raise ValueError(f'{self.name}: {self.shape} frames are smaller '
                             f'than the factor {factor}')

        def blocks(a: np.ndarray) -> np.ndarray:
            a = a[:h * factor, :w * factor]
            return a.reshape(h, factor, w, factor, *a.shape[2:])

        frames = [
            cv2.resize(
                f[:h * factor, :w * factor], (w, h),
                interpolation=cv2.INTER_AREA)
            for f in (self.frame0, self.frame1)
        ]
        valid = blocks(self.valid).all(axis=(1, 3))
        flow = np.where(self.valid[..., None], self.flow, 0.0)
        flow = blocks(flow).mean(axis=(1, 3)) / factor
        flow[~valid] = np.float32(1e10)  # unknown, as Middlebury stores it
        return FlowPair(self.name, frames[0], frames[1],
                        flow.astype(np.float32), valid)


def known_flow_mask(flow: np.ndarray) -> np.ndarray:
    """``(H, W)`` True where both flow components are finite and known."""
    return (np.isfinite(flow).all(-1)
            & (np.abs(flow) <= UNKNOWN_FLOW_THRESH).all(-1))


def read_flo(path: str) -> np.ndarray:
    """Read a ``.flo`` file (:func:`tsdistill.utils.flow_io.read_flo`).

    Args:
        path (str): The file.

    Returns:
        np.ndarray: ``(H, W, 2)`` float32 flow, unknown entries kept.

    Raises:
        FileNotFoundError: No such file.
        FlowPairError: Not a ``.flo`` file (wrong magic), or its size
            disagrees with the width and height in its header.
    """
    try:
        return flow_io.read_flo(path)
    except ValueError as err:
        raise FlowPairError(str(err)) from err


def read_frame(path: str) -> np.ndarray:
    """Read an image as ``(H, W, 3)`` uint8 RGB (grey is replicated).

    Raises:
        FileNotFoundError: No such file.
        FlowPairError: OpenCV cannot decode it.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'missing frame {path}')
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FlowPairError(f'{path}: not an image OpenCV can read')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_pair(name: str, frame0: str, frame1: str, flow: str) -> FlowPair:
    """Read two frames and their ground-truth flow, checking the sizes.

    Args:
        name (str): Name of the pair.
        frame0 (str): First frame.
        frame1 (str): Second frame.
        flow (str): ``.flo`` ground truth from ``frame0`` to ``frame1``.

    Returns:
        FlowPair: The pair.

    Raises:
        FileNotFoundError: A missing file (named).
        FlowPairError: A bad file, or frames and flow of different sizes.
    """
    for path in (frame0, frame1, flow):
        if not osp.isfile(path):
            kind = 'flow file' if path == flow else 'frame'
            raise FileNotFoundError(f'{name}: missing {kind} {path}')
    im0, im1, gt = read_frame(frame0), read_frame(frame1), read_flo(flow)
    if im0.shape != im1.shape:
        raise FlowPairError(f'{name}: frames of different sizes, {frame0} is '
                            f'{im0.shape[1]}x{im0.shape[0]} and {frame1} is '
                            f'{im1.shape[1]}x{im1.shape[0]}')
    if gt.shape[:2] != im0.shape[:2]:
        raise FlowPairError(
            f'{name}: size mismatch, {flow} is {gt.shape[1]}x{gt.shape[0]} '
            f'but {frame0} is {im0.shape[1]}x{im0.shape[0]}')
    return FlowPair(name, im0, im1, gt, known_flow_mask(gt))


def middlebury_pairs(
        root: str,
        sequences: Optional[Sequence[str]] = None) -> List[FlowPair]:
    """The Middlebury sequences under ``root`` with their ground truth.

    Args:
        root (str): ``<root>/<Seq>/{frame10.png, frame11.png, flow10.flo}``,
            or ``<root>/other-data/<Seq>/frame1x.png`` beside
            ``<root>/other-gt-flow/<Seq>/flow10.flo``.
        sequences (Sequence[str], optional): Only these (in this order).
            Defaults to every sequence with ground truth, sorted.

    Returns:
        list[FlowPair]: One pair (frames 10 and 11) per sequence.

    Raises:
        FileNotFoundError: No ``root``, a requested sequence or a file of
            a sequence is missing, or ``root`` holds no sequence.
        FlowPairError: A bad file (see :func:`read_pair`).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'no Middlebury folder {root}')
    split = osp.isdir(osp.join(root, 'other-gt-flow'))
    frames_root = osp.join(root, 'other-data') if split else root
    flow_root = osp.join(root, 'other-gt-flow') if split else root
    if sequences is None:
        # a sequence is any folder holding one of the files (the split
        # layout: one with ground truth)
        names = (MIDDLEBURY_FILES[2:] if split else MIDDLEBURY_FILES)
        sequences = sorted(
            d for d in os.listdir(flow_root)
            if osp.isdir(osp.join(flow_root, d)) and any(
                osp.exists(osp.join(flow_root, d, f)) for f in names))
        if not sequences:
            raise FileNotFoundError(
                f'no Middlebury sequence in {root}: expected '
                f'<Seq>/{", ".join(MIDDLEBURY_FILES)}')
    pairs = []
    for seq in sequences:
        if not osp.isdir(osp.join(flow_root, seq)):
            raise FileNotFoundError(
                f'no Middlebury sequence {seq} in {flow_root}')
        pairs.append(
            read_pair(seq, osp.join(frames_root, seq, MIDDLEBURY_FILES[0]),
                      osp.join(frames_root, seq, MIDDLEBURY_FILES[1]),
                      osp.join(flow_root, seq, MIDDLEBURY_FILES[2])))
    return pairs


def flying_chairs_pairs(root: str,
                        max_pairs: Optional[int] = None) -> List[FlowPair]:
    """The FlyingChairs-style pairs of one folder, sorted by name.

    Args:
        root (str): Folder of ``<id>_img1.ppm|png``, ``<id>_img2.*`` and
            ``<id>_flow.flo``.
        max_pairs (int, optional): Read only the first ones. Defaults to
            ``None`` (all; FlyingChairs has 22872).

    Returns:
        list[FlowPair]: Named by ``<id>``.

    Raises:
        FileNotFoundError: No ``root``, no pair in it, or a pair's frame or
            flow file is missing.
        FlowPairError: A bad file (see :func:`read_pair`).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'no FlyingChairs folder {root}')
    suffixes = ['_flow.flo'] + [
        f'_img{i}{ext}' for i in (1, 2) for ext in CHAIRS_FRAME_EXTS
    ]
    ids = set()
    for suffix in suffixes:
        for path in glob.glob(osp.join(glob.escape(root), '*' + suffix)):
            ids.add(osp.basename(path)[:-len(suffix)])
    if not ids:
        raise FileNotFoundError(
            f'no FlyingChairs pair in {root}: expected <id>_img1.ppm, '
            '<id>_img2.ppm and <id>_flow.flo (or .png frames)')
    pairs = []
    for pair_id in sorted(ids)[:max_pairs]:
        frames = []
        for i in (1, 2):
            paths = [
                osp.join(root, f'{pair_id}_img{i}{ext}')
                for ext in CHAIRS_FRAME_EXTS
            ]
            found = [p for p in paths if osp.isfile(p)]
            if not found:
                raise FileNotFoundError(f'{pair_id}: missing frame '
                                        f'{" or ".join(paths)}')
            frames.append(found[0])
        pairs.append(
            read_pair(pair_id, frames[0], frames[1],
                      osp.join(root, f'{pair_id}_flow.flo')))
    return pairs
