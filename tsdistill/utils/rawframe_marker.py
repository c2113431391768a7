# Copyright (c) tsdistill authors. All rights reserved.
"""The marker of a finished rawframe folder, ``.flow_done.json``.

:func:`tsdistill.apis.flow_extraction.extract_flow` writes it last and
atomically into each ``<out_root>/<video without extension>/`` folder;
``prepare_annotations`` reads it to count the frames. It records the task
done (which parts, ``'rgb'`` and / or ``'flow'``, the folder holds), the
numbers of RGB frames and flow pairs, and the settings the folder was
written with (:func:`tsdistill.apis.flow_extraction.flow_settings`). A
part counts as done only if the marker lists it; a folder without the
marker is unfinished. A marker written before tasks were recorded lists
the flow only.
"""
import json
import os
import os.path as osp
from typing import Iterable, Optional, Tuple

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


def task_of(parts: Iterable[str]) -> str:
    """The task that writes ``parts``: ``'rgb'``, ``'flow'`` or ``'both'``."""
    parts = set(parts)
    return 'both' if parts == {'rgb', 'flow'} else parts.pop()


def settings_diff(old: Optional[dict], new: dict) -> str:
    """What differs between two settings records (``old -> new``).

    The records are :func:`tsdistill.apis.flow_extraction.flow_settings`'s
    (a marker's ``settings``).
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
