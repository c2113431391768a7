# Copyright (c) tsdistill authors. All rights reserved.
"""Checkpoint helpers: strict loading with clear errors, student export.

* :func:`read_checkpoint` reads a checkpoint file; a file that is not one
  (text, a video, an empty or truncated file, a pickle of something else)
  is a :class:`CheckpointReadError` naming it.
* :func:`load_checkpoint_strict` loads the teacher (and two-stream streams)
  at build time and fails with an error that names the file and every
  missing, unexpected or shape-mismatched key.
* :func:`check_checkpoint_to_load` checks, with :func:`read_checkpoint`,
  the file mmengine's Runner is about to load (``load_from``, the
  checkpoint of ``tools/test.py``) or resume from (``--resume``), before
  it does (:class:`tsdistill.engine.CheckpointCheckHook`).
* :func:`export_student_checkpoint` writes a student-only checkpoint that a
  plain mmaction2 ``Recognizer3D`` loads with ``strict=True``. The student
  (:class:`DistillRecognizer3D`) never stores its teacher, so this only
  drops the training-only parts: the connectors of its distillation
  terms (``connectors.*``, e.g. the regressor of a ``FitNetsLoss`` term),
  optimizer, schedulers and message hub; ``teacher.*`` keys, as written by
  mmrazor-style distillers, are dropped too. A flow (teacher) or
  two-stream checkpoint is refused.
"""
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        find_latest_checkpoint,
                                        save_checkpoint)
from torch import nn

TRAINING_ONLY_PREFIXES = ('teacher.', 'connectors.')


def _is_remote(filename: str) -> bool:
    return re.match(r'^[a-zA-Z0-9+.-]+://', filename) is not None


def resolve_checkpoint(filename: str, what: str = 'checkpoint') -> str:
    """Resolve a checkpoint argument to a file.

    Args:
        filename (str): A file, a URL / ``open-mmlab://`` name (passed on
            unchanged), or a work directory, in which case the file named by
            its ``last_checkpoint`` (written by mmengine's CheckpointHook) is
            used, or, if the run's directory was moved since, the file of
            that name in ``filename``.
        what (str): Used in the error message. Defaults to ``'checkpoint'``.

    Returns:
        str: The file to load.
    """
    if not isinstance(filename, str) or not filename:
        raise ValueError(f'{what}: a checkpoint path is required, got '
                         f'{filename!r}')
    if _is_remote(filename):
        return filename
    path = osp.expanduser(filename)
    if osp.isdir(path):
        latest = find_latest_checkpoint(path)
        if latest is not None and not osp.isfile(latest):
            # a moved or copied work dir: its last_checkpoint still names
            # the file at the run's old place, which may be gone
            beside = osp.join(path, osp.basename(latest))
            if osp.isfile(beside):
                latest = beside
        if latest is None or not osp.isfile(latest):
            raise FileNotFoundError(
                f'{what}: {filename} is a directory without a usable '
                '`last_checkpoint` file; give the .pth file itself')
        return latest
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what}: checkpoint file {filename} does '
                                'not exist')
    return path


class CheckpointReadError(RuntimeError):
    """A file given as a checkpoint is not one; the message names it."""


def read_checkpoint(filename: str,
                    what: str = 'checkpoint',
                    map_location: str = 'cpu') -> dict:
    """Read a checkpoint; anything that is not one is named.

    Args:
        filename (str): See :func:`resolve_checkpoint`.
        what (str): Used in error messages, e.g. ``'teacher'``. Defaults
            to ``'checkpoint'``.
        map_location (str): Defaults to ``'cpu'``.

    Returns:
        dict: The checkpoint (``state_dict`` and whatever else it holds, or
        a bare state dict).

    Raises:
        FileNotFoundError: The file does not exist.
        CheckpointReadError: It cannot be read as a checkpoint, or holds no
            tensor state dict.
        pickle.UnpicklingError: It holds objects outside the allow-list of
            :mod:`tsdistill.compat` (the message names the file).
    """
    path = resolve_checkpoint(filename, what)
    try:
        checkpoint = _load_checkpoint(path, map_location=map_location)
    except pickle.UnpicklingError as error:
        if path in str(error):  # refused by the allow-list, already named
            raise
        raise CheckpointReadError(
            f'{what}: {path} is not a readable checkpoint '
            f'({type(error).__name__}: {error})') from error
    except Exception as error:  # torch.load's errors on non-checkpoints
        detail = f'{type(error).__name__}: {error}'.rstrip(': ')
        raise CheckpointReadError(
            f'{what}: {path} is not a readable checkpoint (torch.load '
            f'fails with {detail}); is it a .pth written by training?'
        ) from error
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        held = type(checkpoint).__name__ if state is None else (
            f'a {type(checkpoint).__name__} without a tensor state dict')
        raise CheckpointReadError(
            f'{what}: {path} is not a checkpoint: it holds {held}')
    return checkpoint


def check_resumable(checkpoint: dict, path: str, what: str = 'resume') -> None:
    """Whether mmengine's ``Runner.resume`` finds what it reads.

    It reads ``meta['epoch']``, ``meta['iter']`` and ``message_hub`` (the
    optimizer and schedulers only if present).

    Args:
        checkpoint (dict): As returned by :func:`read_checkpoint`.
        path (str): Its file, named in the error.
        what (str): Used in the error message. Defaults to ``'resume'``.

    Raises:
        CheckpointReadError: Something ``Runner.resume`` needs is missing.
    """
    meta = checkpoint.get('meta')
    meta = meta if isinstance(meta, dict) else {}
    missing = [f'meta.{key}' for key in ('epoch', 'iter') if key not in meta]
    if 'message_hub' not in checkpoint:
        missing.append('message_hub')
    if missing:
        raise CheckpointReadError(
            f'{what}: {path} cannot be resumed from: it has no '
            f'{", ".join(missing)}, which a checkpoint saved by a training '
            'run holds; load_from starts a new training from its weights')


def check_checkpoint_to_load(load_from: Optional[str],
                             resume: bool = False,
                             work_dir: Optional[str] = None) -> Optional[str]:
    """Check the checkpoint mmengine's Runner will load, before it does.

    The file is chosen as ``Runner.load_or_resume`` chooses it: with
    ``resume`` and no ``load_from``, the one named by ``work_dir``'s
    ``last_checkpoint`` (none: the Runner starts from scratch, and so
    nothing is checked). The Runner itself reports a file that is not a
    checkpoint with torch's error, which does not name the file, and
    loads a dict without a state dict as no weights at all.

    Args:
        load_from (str, optional): ``cfg.load_from``: the weights to start
            from, the checkpoint of ``tools/test.py``, or the file of
            ``--resume <file>``.
        resume (bool): ``cfg.resume``. Defaults to ``False``.
        work_dir (str, optional): The Runner's work directory. Defaults
            to ``None``.

    Returns:
        str | None: The file checked, or ``None`` if nothing is loaded.

    Raises:
        FileNotFoundError: The file does not exist.
        IsADirectoryError: ``load_from`` is a directory (the Runner loads
            files only).
        CheckpointReadError: It is not a checkpoint (see
            :func:`read_checkpoint`), or, to resume from, lacks what
            :func:`check_resumable` checks.
    """
    what = 'resume' if resume else 'load_from'
    if resume and load_from is None and work_dir is not None:
        load_from = find_latest_checkpoint(work_dir)
        what = f'resume (last_checkpoint of {work_dir})'
    if load_from is None:
        return None
    if not _is_remote(load_from) and osp.isdir(osp.expanduser(load_from)):
        latest = find_latest_checkpoint(osp.expanduser(load_from))
        hint = '' if latest is None else f', e.g. {latest}'
        raise IsADirectoryError(
            f'{what}: {load_from} is a directory; give the checkpoint '
            f'file{hint}')
    path = resolve_checkpoint(load_from, what)
    checkpoint = read_checkpoint(path, what)
    if resume:
        check_resumable(checkpoint, path, what)
    return path


def _state_dict_of(checkpoint: dict) -> Dict[str, torch.Tensor]:
    state = checkpoint.get('state_dict', checkpoint)
    # checkpoints saved from a (MM)DistributedDataParallel wrapper
    return OrderedDict(
        (re.sub(r'^module\.', '', k), v) for k, v in state.items())


def _short(keys: Sequence[str], limit: int = 20) -> str:
    shown = ', '.join(keys[:limit])
    if len(keys) > limit:
        shown += f', ... ({len(keys)} in all)'
    return shown


def load_checkpoint_strict(model: nn.Module,
                           filename: str,
                           what: str = 'checkpoint',
                           optional_prefixes: Iterable[str] = (),
                           map_location: str = 'cpu') -> str:
    """Load ``filename`` into ``model``; every key must match.

    Args:
        model (nn.Module): Target model.
        filename (str): See :func:`resolve_checkpoint`.
        what (str): Name used in error messages, e.g. ``'teacher'``.
            Defaults to ``'checkpoint'``.
        optional_prefixes (Iterable[str]): Sub-modules whose keys may be
            absent from the checkpoint *as a whole* (then they keep the
            values built from the config). Used for the flow module M1 of a
            teacher trained on precomputed flow: its fixed kernels come from
            its config. Defaults to ``()``.
        map_location (str): Defaults to ``'cpu'``.

    Returns:
        str: The file that was loaded.

    Raises:
        FileNotFoundError: The file does not exist.
        CheckpointReadError: The file is not a checkpoint.
        RuntimeError: Keys or shapes do not match; the message names the
            file and the keys.
    """
    path = resolve_checkpoint(filename, what)
    state = _state_dict_of(read_checkpoint(path, what, map_location))
    # Checked here, not by mmengine's load_checkpoint(strict=True): that
    # raises on rank 0 only, after loading the matching keys, ignores
    # missing num_batches_tracked and has no optional prefixes.
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    for prefix in optional_prefixes:
        if not any(k.startswith(prefix) for k in state):
            missing = [k for k in missing if not k.startswith(prefix)]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k} (checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)})'
        for k, v in state.items()
        if k in own and hasattr(v, 'shape') and v.shape != own[k].shape
    ]
    if missing or unexpected or mismatched:
        problems = []
        if missing:
            problems.append(f'missing keys: {_short(missing)}')
        if unexpected:
            problems.append(f'unexpected keys: {_short(unexpected)}')
        if mismatched:
            problems.append(f'shape mismatches: {_short(mismatched)}')
        raise RuntimeError(f'{what} checkpoint {path} does not match '
                           f'{type(model).__name__}: ' + '; '.join(problems))
    model.load_state_dict(state, strict=False)
    return path


def strip_training_only_keys(
    state_dict: Dict[str, torch.Tensor],
    prefixes: Sequence[str] = TRAINING_ONLY_PREFIXES
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Remove teacher / distillation-term entries from a state dict.

    Args:
        state_dict (dict): Student state dict (``module.`` prefixes of DDP
            wrappers are removed too).
        prefixes (Sequence[str]): Key prefixes to drop. Defaults to
            ``('teacher.', 'connectors.')``.

    Returns:
        tuple: The kept entries and the list of removed keys.
    """
    kept, removed = OrderedDict(), []
    for key, value in _state_dict_of(state_dict).items():
        if key.startswith(tuple(prefixes)):
            removed.append(key)
        else:
            kept[key] = value
    return kept, removed


def _not_a_student(state: Dict[str, torch.Tensor]) -> Optional[str]:
    """Why a state dict is not an RGB student's, or ``None``."""
    if any(k.startswith(('rgb_stream.', 'flow_stream.')) for k in state):
        return 'it holds a two-stream model (rgb_stream.*, flow_stream.*)'
    if any(k.startswith('flow.') for k in state):
        return ('it holds M1 (flow.* keys): a FlowRecognizer3D, the '
                'teacher')
    convs = [
        (k, v) for k, v in state.items()
        if k.startswith('backbone.') and k.endswith('weight') and v.dim() == 5
    ]
    if not convs:
        return 'it has no 3D backbone (no backbone.*weight of 5 dims)'
    key, weight = convs[0]
    if weight.shape[1] != 3:
        return (f'its first backbone conv ({key}) takes {weight.shape[1]} '
                'input channels, not 3 (RGB): a flow model, the teacher')
    return None


def export_student_checkpoint(
        src: str,
        dst: str,
        prefixes: Sequence[str] = TRAINING_ONLY_PREFIXES,
        keep_meta: bool = True) -> Tuple[List[str], Optional[dict]]:
    """Write a student-only checkpoint for a plain mmaction2 Recognizer3D.

    Args:
        src (str): Checkpoint of a :class:`DistillRecognizer3D` run (a
            file or a work directory, see :func:`resolve_checkpoint`).
        dst (str): Output ``.pth`` file: ``{'meta': ..., 'state_dict':
            ...}``, no optimizer / scheduler / message hub.
        prefixes (Sequence[str]): Key prefixes to drop. Defaults to
            ``('teacher.', 'connectors.')``: the teacher and the
            connectors of the distillation terms (e.g. the regressor of a
            ``FitNetsLoss`` term).
        keep_meta (bool): Copy the ``meta`` entry. Defaults to ``True``.

    Returns:
        tuple: Removed keys and the kept ``meta`` (or ``None``).

    Raises:
        CheckpointReadError: ``src`` is not a checkpoint.
        ValueError: ``src`` is not a student's: a flow (teacher) model,
            whose backbone takes flow, or a two-stream model.
    """
    path = resolve_checkpoint(src, 'student')
    checkpoint = read_checkpoint(path, 'student')
    problem = _not_a_student(_state_dict_of(checkpoint))
    if problem is not None:
        raise ValueError(
            f'{path} is not a student checkpoint: {problem}. export_student '
            'takes the checkpoint of a DistillRecognizer3D run (which never '
            'stores its teacher); nothing was written')
    state, removed = strip_training_only_keys(
        checkpoint.get('state_dict', checkpoint), prefixes)
    meta = checkpoint.get('meta') if keep_meta else None
    out = dict(state_dict=state)
    if meta is not None:
        out['meta'] = meta
    save_checkpoint(out, dst)
    return removed, meta


def fuse_two_stream_checkpoint(config, dst: str) -> List[str]:
    """Save one checkpoint for a two-stream config from its streams' runs.

    mmaction2's ``tools/test.py`` needs a checkpoint of the whole model;
    this builds the ``TwoStreamRecognizer3D`` of ``config`` (which loads
    ``rgb_ckpt`` and ``flow_ckpt`` strictly) and saves its state dict.

    Args:
        config (str | Config): Two-stream experiment config (file or
            object).
        dst (str): Output ``.pth``.

    Returns:
        list[str]: The files of the two streams, as loaded.
    """
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model_cfg = cfg.model
    if model_cfg.get('type') != 'TwoStreamRecognizer3D':
        raise ValueError('expected a TwoStreamRecognizer3D config, got '
                         f"{model_cfg.get('type')}")
    sources = [
        resolve_checkpoint(model_cfg[key], key)
        for key in ('rgb_ckpt', 'flow_ckpt')
    ]
    model = MODELS.build(model_cfg)
    save_checkpoint(
        dict(
            state_dict=model.state_dict(),
            meta=dict(rgb_ckpt=sources[0], flow_ckpt=sources[1])), dst)
    return sources
