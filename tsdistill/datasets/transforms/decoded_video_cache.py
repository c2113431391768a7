# Copyright (c) tsdistill authors. All rights reserved.
"""``CheckedDecordInit`` that decodes each video once per process.

A training epoch opens and decodes every video again. On small clips this
costs more than the network: on the embedded binding data (24 frames of
40x40) decord takes about 2 ms a clip to open the file and decode 16
frames, about 35 ms of CPU for a batch of 16. With one DataLoader worker on
a 2-core machine that worker competes with the training step's two
threads for the cores.

:class:`CachedDecordInit` decodes all frames of a video the first time it
sees it and keeps them in memory (in the process that runs the pipeline:
the DataLoader worker, which ``persistent_workers=True`` keeps between
epochs). Later clips of the video are read from memory by mmaction2's
``DecordDecode`` through :class:`DecodedVideo`, which answers its calls
as decord's ``VideoReader`` does. The frames are decord's, so a seeded run
trains on the same pixels as with ``DecordInit``.
"""
from typing import Dict, Sequence, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmengine.logging import print_log

from .loading import CheckedDecordInit


class DecodedFrames:
    """Frames taken from a :class:`DecodedVideo`, as decord's NDArray."""

    def __init__(self, frames: np.ndarray) -> None:
        self._frames = frames

    def asnumpy(self) -> np.ndarray:
        """The frames, ``(T, H, W, 3)`` uint8."""
        return self._frames


class DecodedVideo:
    """All frames of one video in memory, read like decord's VideoReader.

    It answers what mmaction2's ``DecordInit`` and ``DecordDecode`` ask of
    a reader: ``len``, ``get_avg_fps``, ``get_batch`` (accurate mode) and
    ``seek`` / ``next`` (efficient mode).

    Args:
        frames (np.ndarray): ``(T, H, W, 3)`` uint8, every frame.
        avg_fps (float): The video's frame rate.
        filename (str): The file, for errors.
    """

    def __init__(self, frames: np.ndarray, avg_fps: float,
                 filename: str) -> None:
        self.frames = frames
        self.avg_fps = avg_fps
        self.filename = filename
        self._position = 0

    def __len__(self) -> int:
        return len(self.frames)

    def get_avg_fps(self) -> float:
        return self.avg_fps

    def get_batch(self, indices: Union[Sequence[int],
                                       np.ndarray]) -> DecodedFrames:
        """The frames at ``indices`` (a copy), as decord's ``get_batch``.

        Raises:
            IndexError: An index outside ``[0, len)``, naming the file.
        """
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        bad = indices[(indices < 0) | (indices >= len(self.frames))]
        if bad.size:
            raise IndexError(
                f'{self.filename}: frame {int(bad[0])} requested, the video '
                f'has {len(self.frames)} frames')
        return DecodedFrames(self.frames[indices])

    def seek(self, index: int) -> None:
        self._position = int(index)

    def next(self) -> DecodedFrames:
        frame = self.get_batch([self._position])
        self._position += 1
        return DecodedFrames(frame.asnumpy()[0])


@TRANSFORMS.register_module()
class CachedDecordInit(CheckedDecordInit):
    """``CheckedDecordInit`` that decodes each video once per process.

    The first clip of a video decodes all its frames (after the checks of
    :class:`CheckedDecordInit`); they stay in memory, and
    ``results['video_reader']`` is a :class:`DecodedVideo` over them, which
    mmaction2's ``DecordDecode`` reads as it reads decord's reader. Write it
    in place of ``DecordInit`` in a training pipeline whose decoded videos
    fit in memory, with ``persistent_workers=True`` (otherwise every epoch
    starts with an empty cache).

    Once the cache holds ``max_megabytes`` of frames, further videos are
    opened and decoded per clip as by :class:`CheckedDecordInit` (logged
    once): nothing is evicted, nothing lost.

    Args:
        max_megabytes (float): Largest size of the decoded frames kept, per
            process. Defaults to ``1024``.
        io_backend (str): IO backend of the files. Defaults to ``'disk'``.
        num_threads (int): Decoding threads. Defaults to ``1``.
        **kwargs: File client arguments, as ``DecordInit``.
    """

    def __init__(self, max_megabytes: float = 1024, **kwargs) -> None:
        super().__init__(**kwargs)
        if max_megabytes <= 0:
            raise ValueError(f'max_megabytes must be > 0, got {max_megabytes}')
        self.max_megabytes = max_megabytes
        self._videos: Dict[str, DecodedVideo] = {}
        self._bytes = 0
        self._full = False

    def _get_video_reader(self, filename: str) -> object:
        """The video's :class:`DecodedVideo`, decoded on its first call.

        ``DecordInit.transform`` sets ``video_reader``, ``total_frames``
        and ``avg_fps`` from what this returns. Past ``max_megabytes`` a
        video not cached gets decord's reader, as from
        :class:`CheckedDecordInit`.
        """
        video = self._videos.get(filename)
        if video is not None:
            return video
        reader = super()._get_video_reader(filename)
        if self._full:
            return reader
        video = DecodedVideo(
            reader.get_batch(range(len(reader))).asnumpy(),
            reader.get_avg_fps(), filename)
        if self._bytes + video.frames.nbytes > self.max_megabytes * 2**20:
            self._full = True
            print_log(
                f'CachedDecordInit: {len(self._videos)} videos '
                f'({self._bytes / 2**20:.0f} MB) cached, the limit is '
                f'{self.max_megabytes} MB; from {filename} on, videos '
                'are decoded per clip', 'current')
        else:
            self._videos[filename] = video
            self._bytes += video.frames.nbytes
        return video

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(io_backend={self.io_backend}, '
                f'num_threads={self.num_threads}, '
                f'max_megabytes={self.max_megabytes})')
