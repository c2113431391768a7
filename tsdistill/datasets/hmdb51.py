# Copyright (c) tsdistill authors. All rights reserved.
"""HMDB51 annotation lists from the official split files.

Input, as the official archives extract::

    <videos_root>/<class>/<video>.avi
    <splits_root>/<class>_test_split{1,2,3}.txt   # "<video>.avi <id>"

with id 1 = train, 2 = test, 0 = unused. Output (mmaction2's names)::

    <out_dir>/classes.txt                           # label i = line i
    <out_dir>/hmdb51_{train,val}_split_{k}_videos.txt
        # "<class>/<video>.avi <label>"
    <out_dir>/hmdb51_{train,val}_split_{k}_rawframes.txt
        # "<class>/<video> <n> <label>"

Class indices: the class names sorted alphabetically (as mmaction2's own
HMDB51 lists), 0-based. Rawframe lists are written only when a rawframes
root with extracted flow (``flow_x_%05d.jpg``, as ``tools/extract_flow.py``
writes) is given; ``<n>`` is the number of flow frames found.

Problems found are collected as :class:`AnnotationIssue` (file, line,
message): a missing video, a video listed twice, an unknown id, a malformed
line, a class without a split file. With ``strict=True`` any of them raises
:class:`HMDB51AnnotationError`; otherwise the affected entries are left out
and the issues are returned and counted in the summary.
"""
import glob
import os
import os.path as osp
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

SPLIT_FILE = re.compile(r'^(?P<cls>.+)_test_split(?P<split>[123])\.txt$')
SPLIT_IDS = {1: 'train', 2: 'val', 0: None}


@dataclass
class AnnotationIssue:
    """One problem in the input, with where it is."""
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
    """What :func:`prepare_annotations` wrote and found."""
    classes: List[str]
    counts: Dict[Tuple[int, str], int] = field(default_factory=dict)
    per_class: Dict[Tuple[int, str, str], int] = field(default_factory=dict)
    issues: List[AnnotationIssue] = field(default_factory=list)
    files: List[str] = field(default_factory=list)

    def format(self) -> str:
        """A short human-readable report."""
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

    Returns:
        tuple: ``[(video, id, line_number)]`` of valid lines and the issues
        (malformed line, unknown id, duplicate video).
    """
    entries, issues, seen = [], [], {}
    with open(path) as f:
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


def _count_flow_frames(rawframes_root: str, rel_dir: str) -> int:
    return len(glob.glob(osp.join(rawframes_root, rel_dir, 'flow_x_*.jpg')))


def prepare_annotations(videos_root: str,
                        splits_root: str,
                        out_dir: str,
                        rawframes_root: Optional[str] = None,
                        splits: Sequence[int] = (1, 2, 3),
                        strict: bool = False) -> PrepareSummary:
    """Write mmaction2 annotation lists for HMDB51 (or data in its layout).

    Args:
        videos_root (str): Folder of ``<class>/<video>.avi``.
        splits_root (str): Folder of ``<class>_test_split<k>.txt``.
        out_dir (str): Where the lists are written.
        rawframes_root (str, optional): Folder of extracted flow
            ``<class>/<video>/flow_x_%05d.jpg``; rawframe lists are written
            only if given. Defaults to ``None``.
        splits (Sequence[int]): Splits to write. Defaults to ``(1, 2, 3)``.
        strict (bool): Raise :class:`HMDB51AnnotationError` on any issue.
            Defaults to ``False``.

    Returns:
        PrepareSummary: Classes, counts per split / subset / class, issues
        and the files written.
    """
    if not osp.isdir(videos_root):
        raise FileNotFoundError(f'{videos_root}: videos folder not found')
    if not osp.isdir(splits_root):
        raise FileNotFoundError(f'{splits_root}: split-file folder not found')
    split_files: Dict[str, Dict[int, str]] = defaultdict(dict)
    for name in sorted(os.listdir(splits_root)):
        match = SPLIT_FILE.match(name)
        if match:
            split_files[match['cls']][int(match['split'])] = osp.join(
                splits_root, name)
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
                lists[(split, subset)].append(f'{rel} {label}')
                key = (split, subset, name)
                summary.per_class[key] = summary.per_class.get(key, 0) + 1
                if rawframes_root is not None:
                    rel_dir = osp.splitext(rel)[0]
                    num = _count_flow_frames(rawframes_root, rel_dir)
                    if num == 0:
                        issues.append(
                            AnnotationIssue(
                                'missing flow', path, number,
                                f'no flow_x_*.jpg in '
                                f'{osp.join(rawframes_root, rel_dir)}'))
                        continue
                    frame_lists[(split,
                                 subset)].append(f'{rel_dir} {num} {label}')
    if strict and issues:
        raise HMDB51AnnotationError(issues)

    os.makedirs(out_dir, exist_ok=True)
    classes_file = osp.join(out_dir, 'classes.txt')
    with open(classes_file, 'w') as f:
        f.writelines(f'{name}\n' for name in classes)
    summary.files.append(classes_file)
    for split in splits:
        for subset in ('train', 'val'):
            lines = lists[(split, subset)]
            summary.counts[(split, subset)] = len(lines)
            out = osp.join(out_dir,
                           f'hmdb51_{subset}_split_{split}_videos.txt')
            with open(out, 'w') as f:
                f.writelines(line + '\n' for line in lines)
            summary.files.append(out)
            if rawframes_root is not None:
                out = osp.join(out_dir,
                               f'hmdb51_{subset}_split_{split}_rawframes.txt')
                with open(out, 'w') as f:
                    f.writelines(line + '\n'
                                 for line in frame_lists[(split, subset)])
                summary.files.append(out)
    return summary
