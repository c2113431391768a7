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
        # "<class>/<video> <n - 1> <label>"  (flow)
    <out_dir>/hmdb51_{train,val}_split_{k}_rgb_rawframes.txt
        # "<class>/<video> <n> <label>"      (RGB)

Class indices: the class names sorted alphabetically (Python's ``sorted``,
as mmaction2's own HMDB51 lists), 0-based; ``classes.txt`` lists them in
label order. Rawframe lists are for the rawframes ``tools/extract_flow.py``
writes in ``<rawframes_root>/<class>/<video>/``, read by mmaction2's
``RawframeDataset``: the ``_rawframes`` lists for the flow,
``{x,y}_%05d.jpg`` (``modality='Flow'``, ``filename_tmpl='{}_{:05d}.jpg'``),
the ``_rgb_rawframes`` lists for the RGB frames, ``img_%05d.jpg``
(``modality='RGB'``, ``filename_tmpl='img_{:05}.jpg'``). A video of ``n``
frames has ``n`` RGB frames and ``n - 1`` flows (between consecutive
frames), and each list holds its own count, so that ``SampleFrames`` never
asks for a file past the last one. With a rawframes root the counts are
those of the folders ``extract_flow`` marked complete for that part (its
``.flow_done.json``; a folder without it was interrupted and is reported
as incomplete); the flow lists are written unless the root holds RGB
frames and no flow at all, the RGB lists if it holds any RGB frames.
Without a rawframes root both come from the video's frame count (decord,
the decoder training uses), which is what extraction will write.

Unless ``probe_videos=False``, every listed video is checked before
anything is written, crash-isolated
(:func:`tsdistill.utils.video_check.probe_videos`): a truncated AVI is
found from its headers, and every other video is read from memory as
mmaction2's ``DecordInit`` reads it and decoded frame by frame in worker
processes, so a video that makes decord fail, hang or crash (SIGSEGV) is
reported with its file here rather than killing a training run.

Problems found are collected as :class:`AnnotationIssue` (kind, file,
line, message): a missing video, a video listed twice, an unknown id, a
malformed line, a class without a split file (or split files without a
video folder), a split without any split file, a truncated or unreadable
video, missing, incomplete or mixed-settings flow, missing or incomplete
RGB frames, a video of fewer than
:data:`~tsdistill.utils.video_check.MIN_FRAMES` frames (no flow), a class
name no list line can hold (whitespace, which mmaction2's readers split
lines on, or not UTF-8: :func:`unlistable_name_problem`), and a list that
would be empty (it is not written). With ``strict=True`` any of them
raises :class:`HMDB51AnnotationError` before anything is written; otherwise
the affected entries are left out of the lists and the issues are returned,
listed and counted in the summary. When no list at all is left (no class
folder, no split file, split files without a train or test video, or an
issue for every video), :class:`HMDB51AnnotationError` is raised in either
mode, with a ``'nothing to write'`` issue saying which.
"""
import json
import os
import os.path as osp
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils import video_check
from ..utils.flow_io import count_flow_files, count_rgb_files
from ..utils.rawframe_marker import (DONE_MARKER, count_mismatches,
                                     marker_parts, read_done_marker,
                                     settings_diff)
from ..utils.video_check import container_problem

SPLIT_FILE = re.compile(r'^(?P<cls>.+)_test_split(?P<split>[123])\.txt$')
#: split-file id -> subset of the annotation lists (0: in no list)
SPLIT_IDS = {1: 'train', 2: 'val', 0: None}


@dataclass
class AnnotationIssue:
    """One problem in the input, with where it is.

    Args:
        kind (str): What is wrong (``'missing video'``, ``'duplicate
            video'``, ``'unknown id'``, ``'malformed line'``, ``'missing
            split file'``, ``'missing split'``, ``'class without
            videos'``, ``'truncated video'``, ``'unreadable video'``,
            ``'missing flow'``, ``'incomplete flow'``,
            ``'mixed flow settings'``, ``'missing rgb frames'``,
            ``'incomplete rgb frames'``, ``'too short video'``,
            ``'unlistable name'``, ``'empty list'``, ``'nothing to
            write'``).
        path (str): The file the problem is in (a split file, the missing
            file itself, or the list that was not written).
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


def unlistable_name_problem(name: str) -> Optional[str]:
    """Why a name cannot be part of a path in an mmaction2 list line.

    mmaction2 1.2's ``VideoDataset`` splits each line on its ``delimiter``
    (a space) after stripping it, ``RawframeDataset`` on any whitespace
    (``str.split()``), and both read the list as UTF-8 text with universal
    newlines (mmengine's ``list_from_file``): no separator keeps a
    whitespace character inside a path, so a name holding one cannot be
    listed at all.

    Args:
        name (str): A class-folder or video file name.

    Returns:
        str or None: What is wrong, with a fix, or ``None`` if any list
        line can hold the name.
    """
    spaces = sorted({c for c in name if c.isspace()})
    if spaces:
        fixed = re.sub(r'\s+', '_', name)
        return ('holds whitespace (' + ', '.join(map(repr, spaces)) +
                "), which mmaction2's lists cannot hold: VideoDataset and "
                'RawframeDataset split each line on whitespace (rename it, '
                f'e.g. to {fixed!r})')
    try:
        name.encode('utf-8')
    except UnicodeEncodeError:
        return ('is not valid UTF-8 (the encoding mmaction2 reads lists '
                'in)')
    return None


def count_video_frames(path: str) -> int:
    """Number of frames decord finds in a video (opened by path, in-process).

    :func:`prepare_annotations` probes videos crash-isolated instead (see
    the module docstring).

    Args:
        path (str): The video file.

    Returns:
        int: The frame count (what ``DecordInit`` sets as
        ``total_frames``).

    Raises:
        OSError: The video is truncated, cannot be opened or holds no
            frame; the message names ``path``.
    """
    import decord
    problem = container_problem(path)
    if problem is not None:
        raise OSError(f'{path}: {problem}')
    try:
        num = len(decord.VideoReader(path, num_threads=1))
    except Exception as error:  # decord raises its own DECORDError
        raise OSError(f'{path}: decord cannot open the video '
                      f'({type(error).__name__}: {error})') from error
    if num < 1:
        raise OSError(f'{path}: decord finds no frame in the video')
    return num


def count_flow_frames(flow_dir: str) -> Tuple[int, int]:
    """Numbers of ``x_*.jpg`` and ``y_*.jpg`` files in a folder.

    mmaction2's flow names (:data:`~tsdistill.utils.flow_io.FLOW_FILE`);
    listed rather than globbed: HMDB51 file names hold ``[`` and ``]``.

    Args:
        flow_dir (str): ``<rawframes_root>/<class>/<video>``.

    Returns:
        tuple[int, int]: x and y counts; ``(0, 0)`` if the folder is
        missing.
    """
    axes = count_flow_files(flow_dir)
    return axes['x'], axes['y']


def _find_split_files(splits_root: str) -> Dict[str, Dict[int, str]]:
    split_files: Dict[str, Dict[int, str]] = defaultdict(dict)
    for name in sorted(os.listdir(splits_root)):
        match = SPLIT_FILE.match(name)
        if match:
            split_files[match['cls']][int(match['split'])] = osp.join(
                splits_root, name)
    return split_files


def flow_frames(
        flow_dir: str
) -> Tuple[Optional[int], Optional[tuple], Optional[dict]]:
    """Flow frames of a folder ``tools/extract_flow.py`` marked complete.

    Args:
        flow_dir (str): ``<rawframes_root>/<class>/<video>``.

    Returns:
        tuple: ``(num, None, settings)`` for a complete folder (its marker
        present and its x / y counts equal to the marker's), else
        ``(None, (kind, message), None)`` with kind ``'missing flow'`` or
        ``'incomplete flow'``.
    """
    try:
        marker = read_done_marker(flow_dir)
    except ValueError as error:
        return None, ('incomplete flow', str(error)), None
    axes = count_flow_files(flow_dir)
    num_x, num_y = axes['x'], axes['y']
    if 'flow' not in marker_parts(marker):
        if num_x == 0 and num_y == 0:
            return None, ('missing flow', f'no x_*.jpg in {flow_dir}'), None
        marked = (f'but no {DONE_MARKER}' if marker is None else
                  f'and a {DONE_MARKER} that lists RGB frames only')
        return None, ('incomplete flow',
                      f'{flow_dir} holds {num_x} x_ and {num_y} y_ flow '
                      f'files {marked}: tools/extract_flow.py did not '
                      'finish it (run it again to complete it)'), None
    mismatch = count_mismatches(flow_dir, marker).get('flow')
    if mismatch is not None:
        return None, ('incomplete flow', mismatch), None
    return marker['num_pairs'], None, marker['settings']


def rgb_frames(frame_dir: str) -> Tuple[Optional[int], Optional[tuple]]:
    """RGB frames of a folder ``tools/extract_flow.py`` marked complete.

    Args:
        frame_dir (str): ``<rawframes_root>/<class>/<video>``.

    Returns:
        tuple: ``(num, None)`` for a folder whose marker lists RGB frames
        and whose ``img_%05d.jpg`` count equals the marker's, else
        ``(None, (kind, message))`` with kind ``'missing rgb frames'`` (no
        ``img_`` file, not marked) or ``'incomplete rgb frames'``.
    """
    try:
        marker = read_done_marker(frame_dir)
    except ValueError as error:
        return None, ('incomplete rgb frames', str(error))
    num_img = count_rgb_files(frame_dir)
    if 'rgb' not in marker_parts(marker):
        if num_img == 0:
            return None, ('missing rgb frames', f'no img_*.jpg in {frame_dir}')
        marked = (f'but no {DONE_MARKER}' if marker is None else
                  f'and a {DONE_MARKER} that lists flow only')
        return None, ('incomplete rgb frames',
                      f'{frame_dir} holds {num_img} img_ files {marked}: '
                      'tools/extract_flow.py did not finish them (run it '
                      'again with --task rgb or both to complete them)')
    mismatch = count_mismatches(frame_dir, marker).get('rgb')
    if mismatch is not None:
        return None, ('incomplete rgb frames', mismatch)
    return marker['num_frames'], None


def prepare_annotations(videos_root: str,
                        splits_root: str,
                        out_dir: str,
                        rawframes_root: Optional[str] = None,
                        splits: Sequence[int] = (1, 2, 3),
                        strict: bool = False,
                        probe_videos: bool = True,
                        workers: int = 1,
                        timeout: float = 300.0) -> PrepareSummary:
    """Write mmaction2 annotation lists for HMDB51 (or data in its layout).

    Args:
        videos_root (str): Folder of ``<class>/<video>.avi``.
        splits_root (str): Folder of ``<class>_test_split<k>.txt``.
        out_dir (str): Where the lists are written.
        rawframes_root (str, optional): Folder of extracted rawframes
            ``<class>/<video>/{img,x,y}_%05d.jpg``; if given, the rawframe
            lists hold only the folders ``tools/extract_flow.py`` marked
            complete, with their counts (flow lists: flow pairs; RGB lists,
            written if the root holds any RGB frames: frames); a video
            whose folder lacks a part that is listed is an issue and is
            left out of every list, and so is a folder whose flow settings
            differ from most others'. Defaults to ``None`` (count from the
            videos).
        splits (Sequence[int]): Splits to write. Defaults to ``(1, 2, 3)``.
        strict (bool): Raise :class:`HMDB51AnnotationError` on any issue,
            before writing anything. Defaults to ``False``.
        probe_videos (bool): Check every listed video, crash-isolated:
            truncated AVIs from their headers, the others decoded frame by
            frame in worker processes as mmaction2's ``DecordInit`` reads
            them (reports truncated and unreadable videos; gives the frame
            counts of the rawframe lists, RGB and flow, when no
            ``rawframes_root`` is given). ``False`` only checks that the
            files exist, and then writes rawframe lists only with a
            ``rawframes_root``. Defaults to ``True``.
        workers (int): Processes decoding videos in parallel. Defaults to
            ``1``.
        timeout (float): Seconds one video may take to decode before it is
            reported as unreadable. Defaults to ``300``.

    Returns:
        PrepareSummary: Classes, counts per split / subset / class, issues
        and the files written.

    Raises:
        FileNotFoundError: ``videos_root`` or ``splits_root`` is missing.
        HMDB51AnnotationError: With ``strict=True``, if any issue is found;
            always, if no list at all is left to write (an issue ``'nothing
            to write'`` names the empty folder or split files); nothing is
            written then.
    """
    for root, what in ((videos_root, 'videos'), (splits_root, 'split-file')):
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root}: {what} folder not found')
    split_files = _find_split_files(splits_root)
    folders = sorted(
        d for d in os.listdir(videos_root)
        if osp.isdir(osp.join(videos_root, d)))
    issues = []
    # a class name no list line can hold: one issue, the class left out
    classes = []
    for name in sorted(set(split_files) | set(folders)):
        problem = unlistable_name_problem(name)
        if problem is None:
            classes.append(name)
            continue
        where = osp.join(videos_root, name)
        if name not in folders:  # named by its split files only
            where = min(split_files[name].values())
        issues.append(
            AnnotationIssue(
                'unlistable name', where, None,
                f'the class name {name!r} {problem}; the class is left out '
                'of classes.txt and of every list (the other classes are '
                'labelled without it): rename its folder and split files'))
    summary = PrepareSummary(classes=classes, issues=issues)
    # a split without any split file: one issue, and no lists for it
    missing_splits = [
        k for k in splits if not any(k in f for f in split_files.values())
    ]
    for split in missing_splits:
        issues.append(
            AnnotationIssue(
                'missing split', splits_root, None,
                f'no <class>_test_split{split}.txt file for any class: '
                f'split {split} is not written'))
    for name in classes:
        if name not in folders:
            issues.append(
                AnnotationIssue(
                    'class without videos', osp.join(videos_root, name), None,
                    f'class {name!r} has split files but no '
                    'video folder'))
        for split in splits:
            if split in missing_splits:
                continue
            if split not in split_files.get(name, {}):
                issues.append(
                    AnnotationIssue(
                        'missing split file',
                        osp.join(splits_root, f'{name}_test_split{split}.txt'),
                        None, f'class {name!r} has no split-{split} file'))

    # the split files' entries whose video exists, in output order
    listed = []
    num_read = 0  # train / test entries of the split files
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
                num_read += 1
                rel = f'{name}/{video}'
                if not osp.isfile(osp.join(videos_root, rel)):
                    issues.append(
                        AnnotationIssue(
                            'missing video', path, number,
                            f'{osp.join(videos_root, rel)} does not exist'))
                    continue
                listed.append((split, subset, label, name, rel, path, number))

    rels = list(dict.fromkeys(entry[4] for entry in listed))
    probes = {}
    if probe_videos:
        probes = video_check.probe_videos(
            [osp.join(videos_root, rel) for rel in rels],
            workers=workers,
            timeout=timeout)
    flows, rgbs = {}, {}
    usual_settings = None
    # which lists: from the videos both; from a rawframes root the parts
    # it holds (the flow if it holds neither)
    write_flow = write_rgb = probe_videos
    if rawframes_root is not None:
        frame_dirs = {
            rel: osp.join(rawframes_root,
                          osp.splitext(rel)[0])
            for rel in rels
        }
        flows = {rel: flow_frames(d) for rel, d in frame_dirs.items()}
        rgbs = {rel: rgb_frames(d) for rel, d in frame_dirs.items()}
        write_rgb = any(
            num is not None or count_rgb_files(frame_dirs[rel])
            for rel, (num, _) in rgbs.items())
        write_flow = not write_rgb or any(
            problem is None or problem[0] != 'missing flow'
            for _, problem, _ in flows.values())
        seen = Counter(
            json.dumps(settings, sort_keys=True)
            for num, _, settings in flows.values() if num is not None)
        if len(seen) > 1:
            usual_settings = json.loads(seen.most_common(1)[0][0])

    lists: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    frame_lists: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    rgb_lists: Dict[Tuple[int, str], List[str]] = defaultdict(list)
    for split, subset, label, name, rel, path, number in listed:
        num = num_rgb = None
        if probe_videos:
            probe = probes[osp.join(videos_root, rel)]
            if not probe.ok:
                issues.append(
                    AnnotationIssue(f'{probe.kind} video', path, number,
                                    probe.message))
                continue
            num_rgb = probe.num_frames
            num = probe.num_frames - 1  # flow between consecutive frames
        if rawframes_root is not None:
            problems = _rawframe_problems(flows[rel], rgbs[rel],
                                          frame_dirs[rel], write_flow,
                                          write_rgb, usual_settings)
            for kind, message in problems:
                issues.append(AnnotationIssue(kind, path, number, message))
            if problems:
                continue
            num, num_rgb = flows[rel][0], rgbs[rel][0]
        lists[(split, subset)].append(f'{rel} {label}')
        key = (split, subset, name)
        summary.per_class[key] = summary.per_class.get(key, 0) + 1
        frame_dir = osp.splitext(rel)[0]
        if write_flow:
            frame_lists[(split, subset)].append(f'{frame_dir} {num} {label}')
        if write_rgb:
            rgb_lists[(split, subset)].append(f'{frame_dir} {num_rgb} {label}')

    # every list to write, or an issue saying why it is not written
    outputs = []
    for split in splits:
        if split in missing_splits:
            continue
        for subset in ('train', 'val'):
            kinds = [('videos', lists[(split, subset)])]
            if write_flow:
                kinds.append(('rawframes', frame_lists[(split, subset)]))
            if write_rgb:
                kinds.append(('rgb_rawframes', rgb_lists[(split, subset)]))
            for kind, lines in kinds:
                out = osp.join(out_dir,
                               f'hmdb51_{subset}_split_{split}_{kind}.txt')
                if lines:
                    outputs.append((split, subset, kind, out, lines))
                    continue
                issues.append(
                    AnnotationIssue(
                        'empty list', out, None,
                        f'no {subset} video of split {split} is left: the '
                        'list is not written' +
                        ('; the older file of that name is left unchanged'
                         if osp.exists(out) else '')))
    if not outputs:
        issues.append(
            _nothing_to_write(videos_root, splits_root, out_dir, folders,
                              split_files, classes, num_read, splits))
        raise HMDB51AnnotationError(issues)
    if strict and issues:
        raise HMDB51AnnotationError(issues)

    os.makedirs(out_dir, exist_ok=True)
    classes_file = osp.join(out_dir, 'classes.txt')
    _write_lines(classes_file, classes)
    summary.files.append(classes_file)
    for split, subset, kind, out, lines in outputs:
        if kind == 'videos':
            summary.counts[(split, subset)] = len(lines)
        _write_lines(out, lines)
        summary.files.append(out)
    return summary


def _nothing_to_write(videos_root: str, splits_root: str, out_dir: str,
                      folders: Sequence[str], split_files: dict,
                      classes: Sequence[str], num_read: int,
                      splits: Sequence[int]) -> AnnotationIssue:
    """The issue that says why no list at all is left, naming what."""
    if not folders:
        return AnnotationIssue(
            'nothing to write', videos_root, None,
            'the videos folder holds no class folder (<class>/<video>.avi): '
            'no list is written')
    if not split_files:
        return AnnotationIssue(
            'nothing to write', splits_root, None,
            'the split-file folder holds no <class>_test_split<k>.txt file: '
            'no list is written')
    if not classes:
        return AnnotationIssue(
            'nothing to write', videos_root, None,
            'no class name can be listed (see the issues above): no list is '
            'written')
    if not num_read:
        return AnnotationIssue(
            'nothing to write', splits_root, None,
            f'the split files of split(s) {", ".join(map(str, splits))} '
            'list no train (id 1) or test (id 2) video: no list is written')
    return AnnotationIssue(
        'nothing to write', out_dir, None,
        'every list would be empty (each video listed has an issue above): '
        'no list is written')


def _rawframe_problems(flow: tuple, rgb: tuple, frame_dir: str,
                       want_flow: bool, want_rgb: bool,
                       usual_settings: Optional[dict]) -> List[tuple]:
    """``[(kind, message)]`` of a rawframe folder for the lists written.

    A folder holding nothing at all is one ``'missing flow'`` issue (when
    flow lists are written), not one per part.
    """
    problems = []
    if want_flow:
        _, problem, settings = flow
        if problem is not None:
            problems.append(problem)
        elif usual_settings is not None and settings != usual_settings:
            problems.append(
                ('mixed flow settings',
                 f'{frame_dir} was extracted with other settings than most '
                 'videos (' + settings_diff(usual_settings, settings) + ')'))
    if want_rgb and rgb[1] is not None:
        if problems and problems[0][0] == 'missing flow' and \
                rgb[1][0] == 'missing rgb frames':
            problems[0] = ('missing flow',
                           f'no x_*.jpg or img_*.jpg in {frame_dir}')
        else:
            problems.append(rgb[1])
    return problems


def _write_lines(path: str, lines: Sequence[str]) -> None:
    # '\n' on every platform: the same input gives the same bytes; written
    # beside and renamed, so a reader (another job on the same data) never
    # sees a half-written list
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8', newline='\n') as f:
        f.writelines(line + '\n' for line in lines)
    os.replace(tmp, path)


def annotate_data(data_root: str, splits: Sequence[int] = (1, )):
    """Write the annotation lists of data in HMDB51's layout.

    :func:`prepare_annotations` with the layout's folders:
    ``<data_root>/videos`` and ``<data_root>/testTrainMulti_7030_splits``
    in, ``<data_root>/annotations`` out (the main job's and the
    benchmarks' data, real or embedded).

    Args:
        data_root (str): The data's root folder.
        splits (Sequence[int]): Splits to write. Defaults to ``(1, )``.

    Returns:
        PrepareSummary: The tool's summary (classes, counts, issues).
    """
    return prepare_annotations(
        osp.join(data_root, 'videos'),
        osp.join(data_root, 'testTrainMulti_7030_splits'),
        osp.join(data_root, 'annotations'),
        splits=tuple(splits))


def set_annotations(cfg, data_root: str, ann_dir: str, split: int) -> None:
    """Point every dataloader of a config at one split of the data.

    The video lists :func:`prepare_annotations` writes: the train list for
    ``train_dataloader``, the val list for ``val_dataloader`` and
    ``test_dataloader``; a dataloader the config sets to ``None`` is left
    alone.

    Args:
        cfg (Config): An mmengine config (changed in place).
        data_root (str): The folder the lists' video paths are relative
            to (``<data_root>/videos`` of :func:`annotate_data`).
        ann_dir (str): The folder of the lists.
        split (int): The split.
    """
    names = dict(
        train_dataloader=f'hmdb51_train_split_{split}_videos.txt',
        val_dataloader=f'hmdb51_val_split_{split}_videos.txt',
        test_dataloader=f'hmdb51_val_split_{split}_videos.txt')
    for loader, ann in names.items():
        if cfg.get(loader) is None:
            continue
        dataset = cfg[loader]['dataset']
        dataset['ann_file'] = osp.join(ann_dir, ann)
        dataset['data_prefix'] = dict(video=data_root)
