# Copyright (c) tsdistill authors. All rights reserved.
"""``DecordInit`` that cannot crash the process on a truncated video."""
import io
import os

from mmaction.datasets.transforms import DecordInit
from mmaction.registry import TRANSFORMS
from mmengine.fileio import FileClient

from ...utils.video_check import TruncatedVideoError, avi_problem


@TRANSFORMS.register_module()
class CheckedDecordInit(DecordInit):
    """mmaction2's ``DecordInit``, safe on truncated files.

    mmaction2's ``DecordInit`` hands decord the file's bytes
    (``io.BytesIO``); decord 0.6 then dies with a segmentation fault on an
    AVI cut short (the DataLoader worker is killed, or the whole process
    with ``num_workers=0``), and no file is named. This transform

    1. checks the container first and raises :class:`TruncatedVideoError`
       naming the file when the AVI is shorter than its headers say (see
       :mod:`tsdistill.utils.video_check`), and
    2. for local files (``io_backend='disk'``) lets decord open the file by
       path instead of from memory: the same frames, and decord reads
       damaged files by path without crashing.

    Other IO backends keep reading the bytes (after the same check on
    them). :class:`~tsdistill.datasets.CheckedVideoDataset` uses this
    transform in place of every plain ``DecordInit`` of its pipeline; in
    other datasets, write ``dict(type='CheckedDecordInit')``.

    Args:
        io_backend (str): IO backend of the files. Defaults to ``'disk'``.
        num_threads (int): Decoding threads. Defaults to ``1``.
        **kwargs: File client arguments, as ``DecordInit``.
    """

    def _get_video_reader(self, filename: str) -> object:
        import decord
        if os.path.splitext(filename)[0] == filename:
            filename = filename + '.mp4'  # as DecordInit
        if self.io_backend == 'disk' and not self.kwargs:
            with open(filename, 'rb') as f:
                problem = avi_problem(f, os.fstat(f.fileno()).st_size)
            if problem is not None:
                raise TruncatedVideoError(f'{filename}: {problem}')
            return decord.VideoReader(filename, num_threads=self.num_threads)
        if self.file_client is None:
            self.file_client = FileClient(self.io_backend, **self.kwargs)
        data = self.file_client.get(filename)
        problem = avi_problem(io.BytesIO(data), len(data))
        if problem is not None:
            raise TruncatedVideoError(f'{filename}: {problem}')
        return decord.VideoReader(
            io.BytesIO(data), num_threads=self.num_threads)
