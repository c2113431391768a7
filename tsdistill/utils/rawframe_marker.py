# Copyright (c) tsdistill authors. All rights reserved.
"""The marker of a finished rawframe folder, ``.flow_done.json``.

:func:`tsdistill.data_tools.flow_extraction.extract_flow` writes it last and
atomically into each ``<out_root>/<video without extension>/`` folder;
``prepare_annotations`` reads it to count the frames. It records the task
done (which parts, ``'rgb'`` and / or ``'flow'``, the folder holds), the
numbers of RGB frames and flow pairs, and the settings the folder was
written with (:func:`tsdistill.data_tools.flow_extraction.flow_settings`). A
part counts as done only if the marker lists it and the folder
holds as many files of that part as the marker counts
(:func:`count_mismatches`, the one check ``extract_flow`` and
``prepare_annotations`` both make); a folder without the marker is
unfinished. A marker written before tasks were recorded lists the flow
only.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterable, Optional, Tuple

from .flow_io import count_flow_files, count_rgb_files

DONE_MARKER = '.flow_done.json'
#: version of the marker's content (1: no settings; 2: no task, flow only)
MARKER_VERSION = 3
#: the parts each ``task`` writes (``--task`` of mmaction2's
#: ``build_rawframes.py``)
TASK_PARTS = {'rgb': ('rgb', ), 'flow': ('flow', ), 'both': ('rgb', 'flow')}


def is_done(out_dir: str) -> bool:
    """Whether a previous run finished a part of this video.

    The marker is written last; :func:`marker_parts` of
    :func:`read_done_marker` says which parts it lists.
    """
    return osp.isfile(osp.join(out_dir, DONE_MARKER))


def read_done_marker(out_dir: str) -> Optional[dict]:
    """The marker of a finished flow folder.

    Args:
        out_dir (str): ``<out_root>/<video without extension>``.

    Returns:
        dict or None: ``None`` if there is no marker (unfinished or never
        started); otherwise ``task`` (``'flow'`` for a marker written
        before tasks were recorded), ``num_frames`` (RGB frames; ``0``
        without them), ``num_pairs`` (flow pairs; ``0`` without flow),
        ``version`` and ``settings`` (``None`` for a marker written before
        settings were recorded).

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
        marker['num_frames'] = int(marker.get('num_frames', 0))
        marker.setdefault('task', 'flow')
        if marker['task'] not in TASK_PARTS:
            raise ValueError(f'unknown task {marker["task"]!r}')
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f'{path}: unreadable flow marker '
                         f'({type(error).__name__}: {error})') from error
    marker.setdefault('version', 1)
    marker.setdefault('settings', None)
    return marker


def marker_parts(marker: Optional[dict]) -> Tuple[str, ...]:
    """The parts a marker lists as done: ``'rgb'`` and / or ``'flow'``."""
    return () if marker is None else TASK_PARTS[marker['task']]


def count_mismatches(out_dir: str, marker: Optional[dict]) -> Dict[str, str]:
    """The parts a marker lists whose files disagree with its counts.

    A file deleted (or added) after the marker was written makes the part
    unfinished: ``extract_flow`` writes it again, ``prepare_annotations``
    reports it as incomplete.

    Args:
        out_dir (str): ``<out_root>/<video without extension>``.
        marker (dict, optional): Its :func:`read_done_marker`.

    Returns:
        dict[str, str]: ``{part: message}`` for ``'rgb'`` and / or
        ``'flow'``, the message naming the folder, the files found and the
        marker's count; empty if every listed part is complete.
    """
    found = {}
    parts = marker_parts(marker)
    if 'flow' in parts:
        axes = count_flow_files(out_dir)
        num_x, num_y = axes['x'], axes['y']
        num = marker['num_pairs']
        if num_x != num or num_y != num:
            found['flow'] = (f'{out_dir} holds {num_x} x_ and {num_y} y_ '
                             f'flow files, its {DONE_MARKER} says {num}')
    if 'rgb' in parts:
        num_img, num = count_rgb_files(out_dir), marker['num_frames']
        if num_img != num:
            found['rgb'] = (f'{out_dir} holds {num_img} img_ files, its '
                            f'{DONE_MARKER} says {num}')
    return found


def task_of(parts: Iterable[str]) -> str:
    """The task that writes ``parts``: ``'rgb'``, ``'flow'`` or ``'both'``."""
    parts = set(parts)
    return 'both' if parts == {'rgb', 'flow'} else parts.pop()


def settings_diff(old: Optional[dict], new: dict) -> str:
    """What differs between two settings records (``old -> new``).

    The records are
    :func:`tsdistill.data_tools.flow_extraction.flow_settings`'s (a
    marker's ``settings``).
    """
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


def write_done_marker(out_dir: str, parts: Iterable[str], num_frames: int,
                      num_pairs: int, settings: Optional[dict]) -> None:
    """Write the marker atomically (a kill leaves the old one or the new)."""
    path = osp.join(out_dir, DONE_MARKER)
    with open(path + '.tmp', 'w') as f:
        json.dump(
            dict(
                version=MARKER_VERSION,
                task=task_of(parts),
                num_frames=num_frames,
                num_pairs=num_pairs,
                settings=settings), f)
    os.replace(path + '.tmp', path)
