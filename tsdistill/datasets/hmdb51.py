# Copyright (c) tsdistill authors. All rights reserved.
"""HMDB51 annotation lists from the official split files.

Input, as the official archives extract::

    <videos_root>/<class>/<video>.avi
    <splits_root>/<class>_test_split{1,2,3}.txt   # "<video>.avi <id>"

with id 1 = train, 2 = test, 0 = unused. Output (mmaction2's names)::

    <out_dir>/classes.txt                           # label i = line i + 1
    <out_dir>/hmdb51_{train,val}_split_{k}_videos.txt
        # "<class>/<video>.avi <label>"
    <out_dir>/hmdb51_{train,val}_split_{k}_rawframes.txt
        # "<class>/<video> <n> <label>"

Class indices: the class names sorted alphabetically (Python's ``sorted``,
as mmaction2's own HMDB51 lists), 0-based; ``classes.txt`` lists them in
label order. Rawframe lists are for precomputed flow in
``<rawframes_root>/<class>/<video>/flow_{x,y}_%05d.jpg`` (mmaction2's
``RawframeDataset`` with ``modality='Flow'``, as ``tools/extract_flow.py``
writes it); ``<n>`` is the number of flow frames: counted from the
``flow_x_*.jpg`` files when a rawframes root is given, otherwise the
video's frame count (decord, the decoder training uses) minus one, the
number of consecutive-frame pairs flow extraction will write.

Unless ``probe_videos=False``, every listed video is opened once with
decord, so an unreadable video is reported here rather than mid-training.

Problems found are collected as :class:`AnnotationIssue` (kind, file,
line, message): a missing video, a video listed twice, an unknown id, a
malformed line, a class without a split file (or split files without a
video folder), an unreadable video, missing or incomplete flow. With
``strict=True`` any of them raises :class:`HMDB51AnnotationError` before
anything is written; otherwise the affected entries are left out of the
lists and the issues are returned, listed and counted in the summary.
"""
import os
import os.path as osp
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

SPLIT_FILE = re.compile(r'^(?P<cls>.+)_test_split(?P<split>[123])\.txt$')
FLOW_FILE = re.compile(r'^flow_(?P<axis>[xy])_\d+\.jpg$')
#: split-file id -> subset of the annotation lists (0: in no list)
SPLIT_IDS = {1: 'train', 2: 'val', 0: None}


@dataclass
class AnnotationIssue:
    """One problem in the input, with where it is.

    Args:
        kind (str): What is wrong (``'missing video'``, ``'duplicate
            video'``, ``'unknown id'``, ``'malformed line'``, ``'missing
            split file'``, ``'class without videos'``, ``'unreadable
            video'``, ``'missing flow'``, ``'incomplete flow'``).
        path (str): The file the problem is in (a split file, or the
            missing file itself).
        line (int, optional): 1-based line number in ``path``.
        message (str): What was found, naming the files involved.
    """
    kind: str
    path: str
    line: Optional[int]
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f'{self.path}:{self.line}'
        return f'{where}: {self.kind}: {self.message}'


class HMDB51AnnotationError(ValueError):
    """Raised in strict mode; lists every issue found."""

    def __init__(self, issues: Sequence[AnnotationIssue]) -> None:
        self.issues = list(issues)
        super().__init__(f'{len(self.issues)} problem(s) in the HMDB51 '
                         'input:\n' + '\n'.join(map(str, self.issues)))


@dataclass
class PrepareSummary:
    """What :func:`prepare_annotations` wrote and found.

    Attributes:
        classes (list[str]): Class names in label order.
        counts (dict): ``(split, subset) -> videos`` in the video list.
        per_class (dict): ``(split, subset, class) -> videos``.
        issues (list[AnnotationIssue]): Everything reported.
        files (list[str]): The files written.
    """
    classes: List[str]
    counts: Dict[Tuple[int, str], int] = field(default_factory=dict)
    per_class: Dict[Tuple[int, str, str], int] = field(default_factory=dict)
    issues: List[AnnotationIssue] = field(default_factory=list)
    files: List[str] = field(default_factory=list)

    def format(self) -> str:
        """A short human-readable report (counts, then every issue)."""
        lines = [f'{len(self.classes)} classes']
        for (split, subset), n in sorted(self.counts.items()):
            lines.append(f'split {split} {subset}: {n} videos')
        kinds = Counter(issue.kind for issue in self.issues)
        lines.append(f'{len(self.issues)} issue(s)' + (': ' + ', '.join(
            f'{k} {n}' for k, n in sorted(kinds.items())) if kinds else ''))
        lines += [f'  {issue}' for issue in self.issues]
        return '\n'.join(lines)


def read_split_file(
        path: str) -> Tuple[List[Tuple[str, int, int]], List[AnnotationIssue]]:
    """Parse one ``<class>_test_split<k>.txt``.

    Args:
        path (str): The split file; lines ``<video>.avi <id>`` (trailing
            blanks, as in the official files, and blank lines are fine).

    Returns:
        tuple: ``[(video, id, line_number)]`` of valid lines and the issues
        (malformed line, unknown id, duplicate video), each naming ``path``
        and the line.
    """
    entries, issues, seen = [], [], {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                issues.append(
                    AnnotationIssue(
                        'malformed line', path, number,
                        f'expected "<video>.avi <id>", got '
                        f'{line!r}'))
                continue
            video, split_id = parts[0], int(parts[1])
            if split_id not in SPLIT_IDS:
                issues.append(
                    AnnotationIssue(
                        'unknown id', path, number,
                        f'{video} has id {split_id}; expected 0 '
                        '(unused), 1 (train) or 2 (test)'))
                continue
            if video in seen:
                issues.append(
                    AnnotationIssue(
                        'duplicate video', path, number,
                        f'{video} is listed again (first on line '
                        f'{seen[video]})'))
                continue
            seen[video] = number
            entries.append((video, split_id, number))
    return entries, issues


def count_video_frames(path: str) -> int:
    """Number of frames decord finds in a video.

    Args:
        path (str): The video file.

    Returns:
        int: The frame count (what ``DecordInit`` sets as
        ``total_frames``).

    Raises:
        OSError: The video cannot be opened or holds no frame; the message
            names ``path``.
    """
    import decord
    try:
        num = len(decord.VideoReader(path, num_threads=1))
    except Exception as error:  # decord raises its own DECORDError
        raise OSError(f'{path}: decord cannot open the video '
                      f'({type(error).__name__}: {error})') from error
    if num < 1:
        raise OSError(f'{path}: decord finds no frame in the video')
    return num


def count_flow_frames(flow_dir: str) -> Tuple[int, int]:
    """Numbers of ``flow_x_*.jpg`` and ``flow_y_*.jpg`` files in a folder.

    Listed rather than globbed: HMDB51 file names hold ``[`` and ``]``.

    Args:
        flow_dir (str): ``<rawframes_root>/<class>/<video>``.

    Returns:
        tuple[int, int]: x and y counts; ``(0, 0)`` if the folder is
        missing.
    """
    if not osp.isdir(flow_dir):
        return 0, 0
    axes = Counter()
    for name in os.listdir(flow_dir):
        match = FLOW_FILE.match(name)
        if match:
            axes[match['axis']] += 1
    return axes['x'], axes['y']


def _find_split_files(splits_root: str) -> Dict[str, Dict[int, str]]:
    split_files: Dict[str, Dict[int, str]] = defaultdict(dict)
    for name in sorted(os.listdir(splits_root)):
        match = SPLIT_FILE.match(name)
        if match:
            split_files[match['cls']][int(match['split'])] = osp.join(
                splits_root, name)
    return split_files


class _FrameCounter:
    """Flow-frame counts for the rawframe lists, each video probed once."""

    def __init__(self, videos_root: str, rawframes_root: Optional[str],
                 probe_videos: bool) -> None:
        self.videos_root = videos_root
        self.rawframes_root = rawframes_root
        self.probe_videos = probe_videos
        self._cache: Dict[str, tuple] = {}

    def __call__(self, rel: str) -> Tuple[Optional[int], Optional[tuple]]:
        """``(flow frames or None, None)`` or ``(None, (kind, message))``."""
        if rel not in self._cache:
            self._cache[rel] = self._count(rel)
        return self._cache[rel]

    def _count(self, rel: str):
        if self.probe_videos:
            try:
                num_video = count_video_frames(osp.join(self.videos_root, rel))
            except OSError as error:
                return None, ('unreadable video', str(error))
        if self.rawframes_root is not None:
            flow_dir = osp.join(self.rawframes_root, osp.splitext(rel)[0])
            num_x, num_y = count_flow_frames(flow_dir)
            if num_x == 0:
                return None, ('missing flow', f'no flow_x_*.jpg in {flow_dir}')
            if num_x != num_y:
                return None, ('incomplete flow', f'{flow_dir} holds {num_x} '
                              f'flow_x and {num_y} flow_y files')
            return num_x, None
        if self.probe_videos:
            return num_video - 1, None  # flow between consecutive frames
        return None, None


def prepare_annotations(videos_root: str,
                        splits_root: str,
                        out_dir: str,
                        rawframes_root: Optional[str] = None,
                        splits: Sequence[int] = (1, 2, 3),
                        strict: bool = False,
                        probe_videos: bool = True) -> PrepareSummary:
    """Write mmaction2 annotation lists for HMDB51 (or data in its layout).

    Args:
        videos_root (str): Folder of ``<class>/<video>.avi``.
        splits_root (str): Folder of ``<class>_test_split<k>.txt``.
        out_dir (str): Where the lists are written.
        rawframes_root (str, optional): Folder of extracted flow
            ``<class>/<video>/flow_{x,y}_%05d.jpg``; if given, the rawframe
            lists count its flow files and a video without them is an issue.
            Defaults to ``None`` (count from the videos).
        splits (Sequence[int]): Splits to write. Defaults to ``(1, 2, 3)``.
        strict (bool): Raise :class:`HMDB51AnnotationError` on any issue,
            before writing anything. Defaults to ``False``.
        probe_videos (bool): Open every listed video with decord (reports
            unreadable videos; gives the frame counts of the rawframe lists
            when no ``rawframes_root`` is given). ``False`` only checks that
            the files exist, and then writes rawframe lists only with a
            ``rawframes_root``. Defaults to ``True``.

    Returns:
        PrepareSummary: Classes, counts per split / subset / class, issues
        and the files written.

    Raises:
        FileNotFoundError: ``videos_root`` or ``splits_root`` is missing.
        HMDB51AnnotationError: With ``strict=True``, if any issue is found.
    """
    for root, what in ((videos_root, 'videos'), (splits_root, 'split-file')):
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root}: {what} folder not found')
    split_files = _find_split_files(splits_root)
    folders = sorted(
        d for d in os.listdir(videos_root)
        if osp.isdir(osp.join(videos_root, d)))
    classes = sorted(set(split_files) | set(folders))
    summary = PrepareSummary(classes=classes)
    issues = summary.issues
    for name in classes:
        if name not in folders:
            issues.append(
                AnnotationIssue(
                    'class without videos', osp.join(videos_root, name), None,
                    f'class {name!r} has split files but no '
                    'video folder'))
        for split in splits:
            if split not in split_files.get(name, {}):
                issues.append(
                    AnnotationIssue(
                        'missing split file',
                        osp.join(splits_root, f'{name}_test_split{split}.txt'),
                        None, f'class {name!r} has no split-{split} file'))

    count_frames = _FrameCounter(videos_root, rawframes_root, probe_videos)
    write_rawframes = rawframes_root is not None or probe_videos
    lists: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    frame_lists: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    for label, name in enumerate(classes):
        for split in splits:
            path = split_files.get(name, {}).get(split)
            if path is None:
                continue
            entries, found = read_split_file(path)
            issues.extend(found)
            for video, split_id, number in entries:
                subset = SPLIT_IDS[split_id]
                if subset is None:
                    continue
                rel = f'{name}/{video}'
                if not osp.isfile(osp.join(videos_root, rel)):
                    issues.append(
                        AnnotationIssue(
                            'missing video', path, number,
                            f'{osp.join(videos_root, rel)} does not exist'))
                    continue
                num, problem = count_frames(rel)
                if problem is not None:
                    kind, message = problem
                    issues.append(AnnotationIssue(kind, path, number, message))
                    continue
                lists[(split, subset)].append(f'{rel} {label}')
                key = (split, subset, name)
                summary.per_class[key] = summary.per_class.get(key, 0) + 1
                if num is not None:
                    frame_lists[(split, subset)].append(
                        f'{osp.splitext(rel)[0]} {num} {label}')
    if strict and issues:
        raise HMDB51AnnotationError(issues)

    os.makedirs(out_dir, exist_ok=True)
    classes_file = osp.join(out_dir, 'classes.txt')
    _write_lines(classes_file, classes)
    summary.files.append(classes_file)
    for split in splits:
        for subset in ('train', 'val'):
            lines = lists[(split, subset)]
            summary.counts[(split, subset)] = len(lines)
            out = osp.join(out_dir,
                           f'hmdb51_{subset}_split_{split}_videos.txt')
            _write_lines(out, lines)
            summary.files.append(out)
            if write_rawframes:
                out = osp.join(out_dir,
                               f'hmdb51_{subset}_split_{split}_rawframes.txt')
                _write_lines(out, frame_lists[(split, subset)])
                summary.files.append(out)
    return summary


def _write_lines(path: str, lines: Sequence[str]) -> None:
    # '\n' on every platform: the same input gives the same bytes
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.writelines(line + '\n' for line in lines)
