# Copyright (c) tsdistill authors. All rights reserved.
"""The repository's scripts (``tools/...``) as modules, for the tests that
call their ``main`` or replace what it calls."""
import os.path as osp
from importlib import util
from types import ModuleType

#: the checkout the tests run from
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tool_path(*parts: str) -> str:
    """The path of ``tools/<parts...>`` in the checkout."""
    return osp.join(REPO, 'tools', *parts)


def load_tool(*parts: str) -> ModuleType:
    """Import ``tools/<parts...>`` as a fresh module (``__main__`` not run).

    Example: ``load_tool('data', 'hmdb51', 'prepare_annotations.py').main``.
    """
    path = tool_path(*parts)
    name = 'tool_' + osp.splitext('_'.join(parts))[0]
    spec = util.spec_from_file_location(name, path)
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
