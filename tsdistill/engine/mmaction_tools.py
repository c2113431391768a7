# Copyright (c) tsdistill authors. All rights reserved.
"""mmaction2's own ``tools/train.py`` / ``tools/test.py``, plus the plugin.

The plugin's tools are these scripts, which ship inside the mmaction2 wheel
(``mmaction/.mim/tools``), run unchanged except for one step: the config
read from the command line passes through
:func:`tsdistill.engine.dist_env.apply_dist_backend_env` before mmaction2
merges the command-line arguments into it. So every config (the plugin's,
mmaction2's model zoo, any other) honours ``TSDISTILL_DIST_BACKEND``, and
``--cfg-options`` still has the last word. This is the variable's one
home: no config reads it, and a config loaded without these tools keeps the
backend it states.

After the merge, the config gets a
:class:`~tsdistill.engine.hooks.CheckpointCheckHook` (unless it lists one):
a ``load_from``, the checkpoint of ``test.py`` or the file of ``--resume``
that is not a checkpoint fails with an error naming it.
"""
import importlib.util
import os.path as osp
import types
from typing import Callable

import mmaction
from mmengine.config import Config
from mmengine.logging import print_log

from .dist_env import DIST_BACKEND_ENV, apply_dist_backend_env
from .hooks import CheckpointCheckHook

TOOLS = ('train', 'test')


def mmaction_tool_path(name: str) -> str:
    """Path of mmaction2's ``tools/<name>.py`` inside its wheel."""
    if name not in TOOLS:
        raise ValueError(f'unknown mmaction2 tool {name!r}, use {TOOLS}')
    return osp.join(
        osp.dirname(mmaction.__file__), '.mim', 'tools', f'{name}.py')


#: The hook added to every config, scoped so any ``default_scope`` finds it.
CHECKPOINT_CHECK_HOOK = dict(type='mmaction.CheckpointCheckHook')


def add_checkpoint_check(cfg: Config) -> Config:
    """Append :data:`CHECKPOINT_CHECK_HOOK` to ``cfg.custom_hooks``.

    Args:
        cfg (Config): Changed in place; a config that lists the hook
            already (with or without the scope) is left unchanged.

    Returns:
        Config: ``cfg``.
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    kinds = [
        hook.get('type') if isinstance(hook, dict) else type(hook)
        for hook in hooks
    ]
    names = {getattr(k, '__name__', str(k)).split('.')[-1] for k in kinds}
    if CheckpointCheckHook.__name__ not in names:
        cfg.custom_hooks = hooks + [dict(CHECKPOINT_CHECK_HOOK)]
    return cfg


def _with_env_backend(merge_args: Callable) -> Callable:

    def merge_args_with_env(cfg: Config, args) -> Config:
        backend = apply_dist_backend_env(cfg)
        if backend is not None:
            print_log(
                f'env_cfg.dist_cfg.backend={backend!r} from '
                f'{DIST_BACKEND_ENV}', 'current')
        return add_checkpoint_check(merge_args(cfg, args))

    merge_args_with_env.__wrapped__ = merge_args
    return merge_args_with_env


def load_mmaction_tool(name: str) -> types.ModuleType:
    """Import mmaction2's ``tools/<name>.py`` as a module (not run).

    Its ``merge_args(cfg, args)`` is wrapped to apply
    ``TSDISTILL_DIST_BACKEND`` first and add the checkpoint check
    (:func:`add_checkpoint_check`) last; ``parse_args`` and ``main`` are
    mmaction2's.

    Args:
        name (str): ``'train'`` or ``'test'``.

    Returns:
        module: With ``parse_args``, ``merge_args`` and ``main``.
    """
    path = mmaction_tool_path(name)
    spec = importlib.util.spec_from_file_location(
        f'tsdistill_mmaction_tools_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.merge_args = _with_env_backend(module.merge_args)
    return module


def run_mmaction_tool(name: str) -> None:
    """Run mmaction2's ``tools/<name>.py`` ``main()`` (same command line).

    Args:
        name (str): ``'train'`` or ``'test'``.
    """
    load_mmaction_tool(name).main()
