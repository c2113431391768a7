# Copyright (c) tsdistill authors. All rights reserved.
"""Resolved configs and their models' sizes, dumped to compare refactors.

:func:`dump_configs` loads every config file (``Config.fromfile``, base
files and all) and writes, per config, ``<name>.txt``: its meaning (the
resolved dict, keys sorted at every level, tuples kept apart from lists)
and ``<name>.pretty.txt``: mmengine's ``pretty_text`` (key order and
layout as a run's dumped config shows them; ``tsdistill.jobs.table1``
digests this text to recognise finished runs). With ``count_params``, the
parameter counts of the built ``model`` go to ``params.json``.
:func:`compare_dumps` lists what differs between two such dumps.

Checkpoints do not change parameter counts, so the models are built
without them: ``rgb_ckpt`` / ``flow_ckpt`` are dropped, and a distilled
student's ``teacher_ckpt`` is replaced by a freshly initialised teacher.
"""
import copy
import json
import os
import os.path as osp
import pprint
import tempfile
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

PARAMS_FILE = 'params.json'
ERROR_SUFFIX = '.error.txt'


def config_files(root: str) -> List[str]:
    """Every ``.py`` file below ``root``, sorted, relative to it."""
    found = []
    for folder, _, names in os.walk(root):
        found += [
            osp.relpath(osp.join(folder, name), root) for name in names
            if name.endswith('.py')
        ]
    return sorted(found)


def meaning_text(cfg: Config) -> str:
    """The resolved config as text that ignores key order."""
    return pprint.pformat(cfg.to_dict(), width=79, sort_dicts=True) + '\n'


def _count(model: torch.nn.Module) -> Dict[str, int]:
    params = list(model.parameters())
    counts = dict(
        total=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in params if p.requires_grad))
    # a distilled student keeps its frozen teacher outside its modules
    teacher = getattr(model, 'teacher', None)
    if isinstance(teacher, torch.nn.Module):
        counts['teacher'] = sum(p.numel() for p in teacher.parameters())
    return counts


def count_model_params(model_cfg: dict) -> Dict[str, int]:
    """Total and trainable parameters of the model a config builds.

    Args:
        model_cfg (dict): A config's ``model`` (not changed).

    Returns:
        dict: ``total`` and ``trainable``; for a distilled student also
        ``teacher``, whose frozen parameters (kept outside the student's
        modules) are in neither.
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    model_cfg = copy.deepcopy(model_cfg)
    for key in ('rgb_ckpt', 'flow_ckpt'):
        if key in model_cfg:
            model_cfg[key] = None
    if 'teacher_cfg' not in model_cfg:
        return _count(MODELS.build(model_cfg))
    from tsdistill.models.recognizers.teacher import resolve_config_path
    teacher_cfg = model_cfg['teacher_cfg']
    if isinstance(teacher_cfg, str):
        teacher_cfg = Config.fromfile(
            resolve_config_path(teacher_cfg, 'teacher_cfg')).model
    teacher = MODELS.build(teacher_cfg)
    with tempfile.TemporaryDirectory() as tmp:
        model_cfg['teacher_ckpt'] = osp.join(tmp, 'teacher.pth')
        torch.save(
            dict(state_dict=teacher.state_dict()), model_cfg['teacher_ckpt'])
        return _count(MODELS.build(model_cfg))


def dump_configs(root: str,
                 out_dir: str,
                 files: Optional[Sequence[str]] = None,
                 count_params: bool = False) -> Dict[str, Optional[dict]]:
    """Write the resolved configs below ``root`` to ``out_dir``.

    Args:
        root (str): The configs folder; names in ``out_dir`` mirror it.
        out_dir (str): Where to write (created).
        files (Sequence[str], optional): Paths relative to ``root``.
            Defaults to every ``.py`` file below it.
        count_params (bool): Build each ``model`` and count its
            parameters. Defaults to False.

    Returns:
        dict: ``{file: parameter counts or None}`` (None: no ``model``, a
        partial one without ``type``, or parameters not counted). A
        config that fails to load or build gets ``<name>.error.txt`` with
        the error instead.
    """
    files = config_files(root) if files is None else list(files)
    counts = {}
    for name in files:
        out = osp.join(out_dir, name[:-len('.py')])
        os.makedirs(osp.dirname(out), exist_ok=True)
        counts[name] = None
        try:
            cfg = Config.fromfile(osp.join(root, name))
            with open(out + '.txt', 'w') as f:
                f.write(meaning_text(cfg))
            with open(out + '.pretty.txt', 'w') as f:
                f.write(cfg.pretty_text)
            model = cfg.get('model')
            # a partial model (no type) is merged into others, not built
            if count_params and isinstance(model, dict) and 'type' in model:
                counts[name] = count_model_params(model.to_dict())
        except Exception as error:  # recorded, compared like the rest
            with open(out + ERROR_SUFFIX, 'w') as f:
                f.write(f'{type(error).__name__}: {error}\n')
    if count_params:
        with open(osp.join(out_dir, PARAMS_FILE), 'w') as f:
            json.dump(counts, f, indent=1, sort_keys=True)
    return counts


def _texts(dump_dir: str) -> Dict[str, str]:
    texts = {}
    for folder, _, names in os.walk(dump_dir):
        for name in names:
            if name.endswith('.txt'):
                path = osp.join(folder, name)
                with open(path) as f:
                    texts[osp.relpath(path, dump_dir)] = f.read()
    return texts


def compare_dumps(before: str, after: str) -> List[str]:
    """What differs between two :func:`dump_configs` outputs.

    Returns:
        list[str]: One line per difference, e.g. ``'meaning differs:
        demo/x.txt'``, ``'layout differs: demo/x.pretty.txt'`` (same
        meaning, other key order or formatting), ``'only before: ...'``,
        ``'params differ: ...'``; empty if the dumps are the same.
    """
    old, new = _texts(before), _texts(after)
    lines = [f'only before: {k}' for k in sorted(set(old) - set(new))]
    lines += [f'only after: {k}' for k in sorted(set(new) - set(old))]
    for key in sorted(set(old) & set(new)):
        if old[key] != new[key]:
            kind = 'layout' if key.endswith('.pretty.txt') else 'meaning'
            lines.append(f'{kind} differs: {key}')
    params = []
    for folder in (before, after):
        path = osp.join(folder, PARAMS_FILE)
        params.append(None)
        if osp.isfile(path):
            with open(path) as f:
                params[-1] = json.load(f)
    if params[0] is not None and params[1] is not None:
        for key in sorted(set(params[0]) | set(params[1])):
            a, b = params[0].get(key), params[1].get(key)
            if a != b:
                lines.append(f'params differ: {key}: {a} -> {b}')
    return lines
