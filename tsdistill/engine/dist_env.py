# Copyright (c) tsdistill authors. All rights reserved.
"""Distributed-run settings taken from the environment.

``TSDISTILL_DIST_BACKEND`` selects ``env_cfg.dist_cfg.backend`` of any config
without editing it, e.g. ``gloo`` for multi-process runs on CPU-only
machines (mmaction2's configs say ``nccl``, which needs GPUs). The plugin's
``tools/train.py`` and ``tools/test.py`` apply it before the command line,
so ``--cfg-options env_cfg.dist_cfg.backend=...`` still wins.
"""
import os
from typing import Mapping, Optional

import torch.distributed as dist
from mmengine.config import Config

DIST_BACKEND_ENV = 'TSDISTILL_DIST_BACKEND'


def dist_backend_from_env(
        environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The backend named by ``TSDISTILL_DIST_BACKEND``, if set.

    Args:
        environ (Mapping, optional): Environment to read. Defaults to
            ``os.environ``.

    Returns:
        str | None: The backend (``'gloo'``, ``'nccl'``, ``'mpi'``, ... or a
        per-device spec such as ``'cpu:gloo,cuda:nccl'``), or None if the
        variable is unset or empty.

    Raises:
        ValueError: If it names a backend torch.distributed does not know.
    """
    value = (os.environ if environ is None else environ).get(
        DIST_BACKEND_ENV, '').strip()
    if not value:
        return None
    known = set(dist.Backend.backend_list) - {'undefined'}
    for part in value.split(','):
        name = part.split(':')[-1].strip().lower()
        if name not in known:
            raise ValueError(
                f'{DIST_BACKEND_ENV}={value!r}: unknown backend {name!r}, '
                f'expected one of {sorted(known)}')
    return value


def apply_dist_backend_env(
        cfg: Config,
        environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Set ``cfg.env_cfg.dist_cfg.backend`` from ``TSDISTILL_DIST_BACKEND``.

    Args:
        cfg (Config): The experiment config, changed in place. Other keys of
            ``env_cfg`` / ``dist_cfg`` are kept; a config without
            ``env_cfg`` gets one holding only the backend (mmengine fills in
            the rest).
        environ (Mapping, optional): Environment to read. Defaults to
            ``os.environ``.

    Returns:
        str | None: The backend set, or None if the variable is unset (the
        config is then unchanged).
    """
    backend = dist_backend_from_env(environ)
    if backend is not None:
        cfg.merge_from_dict({'env_cfg.dist_cfg.backend': backend})
    return backend
