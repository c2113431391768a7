# Copyright (c) tsdistill authors. All rights reserved.
"""Find broken videos before training, without crashing the caller.

decord (0.6) crashes the whole process (SIGSEGV) when it reads an AVI
that is shorter than its RIFF header says -- a truncated download, or a
copy that was interrupted -- from memory, which is how mmaction2's
``DecordInit`` reads every video (``io.BytesIO`` of the file's bytes).
Opened by path, decord reads the same file without crashing. Measured on
real HMDB51 clips cut to 1 %, 5 %, ..., 99.9 % of their length and to
2 KB: every cut crashed from memory (except the cut inside the trailing
index, which the RIFF size also catches) and none by path.

Two checks:

* :func:`container_problem` -- cheap, in-process, reads a few headers: an
  AVI whose RIFF chunk or whose top-level chunks (``movi``, ``idx1``) end
  past the end of the file is truncated. Other containers are not
  checked here.
* :func:`probe_videos` -- crash-isolated: each video is opened the way
  ``DecordInit`` opens it (from memory) and every frame is decoded, in a
  worker process (one per batch of files, ``workers`` in parallel). A
  worker killed by a signal names the file it was decoding and a new
  worker goes on with the rest; a file that takes longer than ``timeout``
  seconds is named too, and so is a video of fewer than
  :data:`MIN_FRAMES` frames (no flow can be computed from it).

This module imports only the standard library at module level; the worker
runs this very file (``runpy``), not the package, so it starts in a
fraction of a second and needs only decord.
"""
import json
import os
import os.path as osp
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Dict, List, Optional, Sequence

#: frames decoded per ``get_batch`` call in the worker
DECODE_CHUNK = 16
#: the fewest frames a usable video has: flow (M1, the TV-L1 of
#: ``extract_flow``, M2's input) is computed between consecutive frames and
#: needs one pair. ``probe_videos`` (so ``prepare_annotations`` and
#: ``tools/data/check_videos.py``) and ``extract_flow`` use this value.
MIN_FRAMES = 2
#: run this file as ``__main__`` without importing the package
_BOOTSTRAP = ('import runpy, sys; sys.argv = sys.argv[1:]; '
              "runpy.run_path(sys.argv[0], run_name='__main__')")
_MAX_CHUNKS = 4096


class TruncatedVideoError(OSError):
    """The file is shorter than its container says; the message names it."""


def avi_problem(f: BinaryIO, size: int) -> Optional[str]:
    """Whether an AVI stream is truncated, from its chunk headers.

    Reads the RIFF header and walks the top-level chunks (``hdrl``,
    ``movi``, ``idx1``, ...; a few reads). Data after the RIFF chunk, which
    real HMDB51 files have, is ignored.

    Args:
        f (BinaryIO): The file (or its bytes), positioned anywhere.
        size (int): Its size in bytes.

    Returns:
        str or None: What is wrong, or ``None`` for an intact AVI and for
        anything that is not an AVI.
    """
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[:4] != b'RIFF' or head[8:12] != b'AVI ':
        return None
    riff_size = struct.unpack('<I', head[4:8])[0]
    riff_end = 8 + riff_size
    if riff_end > size:
        return (f'truncated AVI: its RIFF header declares {riff_end} '
                f'bytes, the file has {size}')
    limit = riff_end if riff_size else size
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > limit:
            break
        f.seek(pos)
        header = f.read(12)
        chunk_id, chunk_size = header[:4], struct.unpack('<I', header[4:8])[0]
        name = header[8:12] if chunk_id == b'LIST' else chunk_id
        end = pos + 8 + chunk_size + (chunk_size & 1)
        if end > size:
            return (f"truncated AVI: its '{name.decode('latin-1')}' chunk "
                    f'ends at byte {end}, the file has {size}')
        pos = end
    return None


def container_problem(path: str) -> Optional[str]:
    """Cheap in-process check of a local video file (see module doc).

    Args:
        path (str): The video file.

    Returns:
        str or None: What is wrong (without the file name), or ``None``.

    Raises:
        OSError: The file cannot be opened (the message names it).
    """
    with open(path, 'rb') as f:
        return avi_problem(f, os.fstat(f.fileno()).st_size)


def check_container(path: str) -> None:
    """Raise :class:`TruncatedVideoError` naming ``path`` if it is truncated.

    Args:
        path (str): The video file.
    """
    problem = container_problem(path)
    if problem is not None:
        raise TruncatedVideoError(f'{path}: {problem}')


@dataclass
class VideoProbe:
    """What :func:`probe_videos` found for one file.

    Attributes:
        path (str): The file.
        num_frames (int, optional): Frames decord finds (``None`` if
            broken).
        kind (str, optional): ``None`` (fine), ``'truncated'`` (found by
            :func:`container_problem`), ``'unreadable'`` (missing,
            refused, crashed or timed out while decoding) or ``'too
            short'`` (fewer frames than ``min_frames``; ``num_frames`` is
            set).
        message (str): What is wrong, naming the file; empty if fine.
    """
    path: str
    num_frames: Optional[int] = None
    kind: Optional[str] = None
    message: str = ''

    @property
    def ok(self) -> bool:
        """bool: The video decodes (every frame, if decoding was asked)."""
        return self.kind is None


def _signal_name(returncode: int) -> str:
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f'signal {-returncode}'
    return f'exit status {returncode}'


class _Worker:
    """One worker process decoding a list of files in order."""

    def __init__(self, paths: Sequence[str], decode: bool) -> None:
        self._list = tempfile.NamedTemporaryFile(
            'w', suffix='.json', delete=False)
        json.dump(list(paths), self._list)
        self._list.close()
        self._stderr = tempfile.TemporaryFile()
        command = [
            sys.executable, '-c', _BOOTSTRAP,
            osp.abspath(__file__), self._list.name,
            'decode' if decode else 'open'
        ]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr)
        self.lines: 'queue.Queue[Optional[bytes]]' = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr_tail(self, lines: int = 3) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode('utf-8', 'replace')
        return ' | '.join(text.strip().splitlines()[-lines:])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        self._stderr.close()
        os.unlink(self._list.name)


def _probe_batch(paths: List[str], decode: bool,
                 timeout: float) -> Dict[str, VideoProbe]:
    """Decode ``paths`` in order in workers, restarting after a crash."""
    results: Dict[str, VideoProbe] = {}
    start = 0
    how = ("reading it from memory as mmaction2's DecordInit does" +
           (' and decoding every frame' if decode else ''))
    while start < len(paths):
        worker = _Worker(paths[start:], decode)
        try:
            done = 0
            while start + done < len(paths):
                path = paths[start + done]
                try:
                    line = worker.lines.get(timeout=timeout)
                except queue.Empty:
                    results[path] = VideoProbe(
                        path,
                        kind='unreadable',
                        message=f'{path}: decord took longer than '
                        f'{timeout:g} s {how}')
                    done += 1
                    break
                if line is None:  # the worker died while decoding `path`
                    code = worker.proc.wait()
                    detail = worker.stderr_tail()
                    results[path] = VideoProbe(
                        path,
                        kind='unreadable',
                        message=f'{path}: decord crashed '
                        f'({_signal_name(code)}) {how}' +
                        (f' ({detail})' if detail and code >= 0 else ''))
                    done += 1
                    break
                record = json.loads(line)
                if 'fatal' in record:  # e.g. decord is not installed
                    raise RuntimeError('video check worker: ' +
                                       record['fatal'])
                if 'error' in record:
                    results[path] = VideoProbe(
                        path,
                        kind='unreadable',
                        message=f"{path}: decord cannot read it "
                        f"({record['error']})")
                else:
                    results[path] = VideoProbe(path, record['frames'])
                done += 1
            start += done
        finally:
            worker.close()
    return results


def probe_videos(paths: Sequence[str],
                 decode: bool = True,
                 workers: int = 1,
                 timeout: float = 300.0,
                 check_containers: bool = True,
                 min_frames: int = MIN_FRAMES) -> Dict[str, VideoProbe]:
    """Check videos without risking the calling process (see module doc).

    Missing files and truncated AVIs (:func:`container_problem`) are found
    in this process; the rest are opened from memory as mmaction2's
    ``DecordInit`` does and, with ``decode=True``, every frame is decoded,
    in worker processes, so a decoder crash or hang is reported for its
    file instead of ending the caller.

    Args:
        paths (Sequence[str | PathLike]): Video files (duplicates are
            checked once).
        decode (bool): Decode every frame; ``False`` only opens the video
            and counts its frames. Defaults to ``True``.
        workers (int): Worker processes run in parallel. Defaults to ``1``.
        timeout (float): Seconds one file may take. Defaults to ``300``.
        check_containers (bool): Run :func:`container_problem` first;
            ``False`` hands truncated files to decord as well (in the
            workers; it shows what decord does with them). Defaults to
            ``True``.
        min_frames (int): A video of fewer frames is ``'too short'``.
            Defaults to :data:`MIN_FRAMES` (flow needs a pair of frames).

    Returns:
        dict[str, VideoProbe]: One entry per distinct path.
    """
    if isinstance(min_frames, bool) or not isinstance(min_frames, int) or \
            min_frames < 1:
        raise ValueError(f'min_frames must be an integer >= 1, got '
                         f'{min_frames!r}')
    paths = [os.fspath(p) for p in paths]
    results: Dict[str, VideoProbe] = {}
    todo: List[str] = []
    for path in dict.fromkeys(paths):
        if not osp.isfile(path):
            results[path] = VideoProbe(
                path, kind='unreadable', message=f'{path}: no such file')
            continue
        try:
            problem = container_problem(path) if check_containers else None
        except OSError as error:
            results[path] = VideoProbe(
                path, kind='unreadable', message=f'{path}: {error}')
            continue
        if problem is not None:
            results[path] = VideoProbe(
                path, kind='truncated', message=f'{path}: {problem}')
        else:
            todo.append(path)
    workers = max(1, min(int(workers), len(todo)))
    batches = [todo[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        for part in pool.map(lambda b: _probe_batch(b, decode, timeout),
                             batches):
            results.update(part)
    for probe in results.values():
        if probe.ok and probe.num_frames < min_frames:
            probe.kind = 'too short'
            probe.message = (f'{probe.path}: decord finds {probe.num_frames} '
                             f'frame(s); at least {min_frames} are needed '
                             '(flow is computed between consecutive frames)')
    return {path: results[path] for path in dict.fromkeys(paths)}


def _decode(decord, path: str, decode: bool) -> int:
    """Open ``path`` as mmaction2's ``DecordInit`` does; decode all frames."""
    import io
    with open(path, 'rb') as f:
        reader = decord.VideoReader(io.BytesIO(f.read()), num_threads=1)
    num = len(reader)
    if num < 1:
        raise ValueError('no frame')
    if decode:
        for first in range(0, num, DECODE_CHUNK):
            reader.get_batch(
                list(range(first, min(num, first + DECODE_CHUNK)))).asnumpy()
    return num


def _worker_main(argv: Sequence[str]) -> None:
    """Worker process: one JSON line per file of the list, in order."""
    list_file, mode = argv
    with open(list_file) as f:
        paths = json.load(f)

    def emit(record: dict) -> None:
        sys.stdout.write(json.dumps(record) + '\n')
        sys.stdout.flush()

    try:
        import decord
    except ImportError as error:
        emit(dict(fatal=f'cannot import decord ({error})'))
        return
    for path in paths:
        try:
            emit(dict(frames=_decode(decord, path, mode == 'decode')))
        except Exception as error:  # decord raises its own DECORDError
            text = str(error).strip().splitlines()
            emit(
                dict(error=f'{type(error).__name__}: '
                     f"{text[0][:300] if text else ''}"))


if __name__ == '__main__':
    _worker_main(sys.argv[1:])
