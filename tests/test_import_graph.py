# Copyright (c) tsdistill authors. All rights reserved.
"""The package's import graph, read with ``ast`` (nothing is imported).

- ``tsdistill/utils/`` and ``tsdistill/compat.py`` are leaves: they import
  nothing else of the package (the modules of ``utils`` may import each
  other);
- the subpackages (``apis``, ``datasets``, ``engine``, ``evaluation``,
  ``models.flow``, ``models.losses``, ``models.recognizers``, ``utils``,
  ...) import each other without a cycle. The package root, which imports
  every part to register it, is left out.

Imports inside functions count too: a lazy import is still a dependency.
"""
import ast
import os
import os.path as osp
from typing import Dict, Iterator, List, Set, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = 'tsdistill'
#: Not leaves yet, and why; each entry must still break the rule.
NOT_YET_LEAVES: Dict[str, str] = {}
#: Nodes of the subpackage graph: a module belongs to the longest prefix.
NODES = ('tsdistill.apis', 'tsdistill.compat', 'tsdistill.datasets',
         'tsdistill.engine', 'tsdistill.evaluation', 'tsdistill.models.flow',
         'tsdistill.models.losses', 'tsdistill.models.recognizers',
         'tsdistill.models', 'tsdistill.utils', 'tsdistill.version')


def package_modules() -> Dict[str, str]:
    """``{module name: file}`` of every module of the package."""
    modules = {}
    for root, _, files in os.walk(osp.join(REPO, PACKAGE)):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(root, name)
            parts = osp.relpath(path, REPO)[:-3].split(os.sep)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            modules['.'.join(parts)] = path
    return modules


def imports_of(module: str, path: str,
               modules: Dict[str, str]) -> Iterator[Tuple[str, int]]:
    """Package modules ``module`` imports, with the line of each import."""
    is_package = path.endswith('__init__.py')
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == PACKAGE:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split('.')
                if not is_package:
                    base = base[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = '.'.join(base +
                                  ([node.module] if node.module else []))
            else:
                target = node.module or ''
            if target.split('.')[0] != PACKAGE:
                continue
            for alias in node.names:
                sub = f'{target}.{alias.name}'
                yield (sub if sub in modules else target), node.lineno


def node_of(module: str) -> str:
    for node in sorted(NODES, key=len, reverse=True):
        if module == node or module.startswith(node + '.'):
            return node
    return module


def is_leaf_module(module: str) -> bool:
    return module == 'tsdistill.compat' or module == 'tsdistill.utils' or \
        module.startswith('tsdistill.utils.')


def test_utils_and_compat_are_leaves():
    modules = package_modules()
    offences, still = [], set()
    for module, path in sorted(modules.items()):
        if not is_leaf_module(module):
            continue
        for target, line in imports_of(module, path, modules):
            inside_utils = node_of(target) == node_of(module) == \
                'tsdistill.utils'
            if inside_utils:
                continue
            if module in NOT_YET_LEAVES:
                still.add(module)
                continue
            offences.append(f'{osp.relpath(path, REPO)}:{line} imports '
                            f'{target}')
    assert not offences, 'utils/ and compat.py must import nothing else ' \
        'of tsdistill:\n' + '\n'.join(offences)
    # an exception that no longer applies is removed from the list
    assert still == set(NOT_YET_LEAVES), sorted(set(NOT_YET_LEAVES) - still)


def subpackage_graph() -> Dict[str, Set[str]]:
    modules = package_modules()
    graph: Dict[str, Set[str]] = {}
    for module, path in modules.items():
        if module == PACKAGE:
            continue
        src = node_of(module)
        for target, _ in imports_of(module, path, modules):
            dst = node_of(target)
            if dst not in (src, PACKAGE):
                graph.setdefault(src, set()).add(dst)
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One cycle of ``graph`` as a path ``[a, ..., a]``, or ``[]``."""
    state: Dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_no_import_cycle_between_subpackages():
    cycle = find_cycle(subpackage_graph())
    assert not cycle, 'import cycle: ' + ' -> '.join(cycle)


def test_the_checks_see_imports():
    """The graph reader finds relative, absolute and lazy imports."""
    graph = subpackage_graph()
    assert 'tsdistill.models.flow' in graph['tsdistill.apis']  # relative
    assert 'tsdistill.datasets' in graph['tsdistill.apis']  # lazy, absolute
    assert 'tsdistill.utils' in graph['tsdistill.models.recognizers']
    assert find_cycle({
        'a': {'b'},
        'b': {'c'},
        'c': {'a'}
    }) == ['a', 'b', 'c', 'a']
