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
"""
import importlib.util
import os.path as osp
import types
from typing import Callable

import mmaction
from mmengine.config import Config
from mmengine.logging import print_log

from .dist_env import DIST_BACKEND_ENV, apply_dist_backend_env

TOOLS = ('train', 'test')


def mmaction_tool_path(name: str) -> str:
    """Path of mmaction2's ``tools/<name>.py`` inside its wheel."""
    if name not in TOOLS:
        raise ValueError(f'unknown mmaction2 tool {name!r}, use {TOOLS}')
    return osp.join(
        osp.dirname(mmaction.__file__), '.mim', 'tools', f'{name}.py')


def _with_env_backend(merge_args: Callable) -> Callable:

    def merge_args_with_env(cfg: Config, args) -> Config:
        backend = apply_dist_backend_env(cfg)
        if backend is not None:
            print_log(
                f'env_cfg.dist_cfg.backend={backend!r} from '
                f'{DIST_BACKEND_ENV}', 'current')
        return merge_args(cfg, args)

    merge_args_with_env.__wrapped__ = merge_args
    return merge_args_with_env


def load_mmaction_tool(name: str) -> types.ModuleType:
    """Import mmaction2's ``tools/<name>.py`` as a module (not run).

    Its ``merge_args(cfg, args)`` is wrapped to apply
    ``TSDISTILL_DIST_BACKEND`` first; ``parse_args`` and ``main`` are
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
