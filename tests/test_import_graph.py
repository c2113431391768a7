# Copyright (c) tsdistill authors. All rights reserved.
"""The package's import graph, read with ``ast`` (nothing is imported).

The package is the library (what a config uses and ``import tsdistill``
registers, and the data tools) and, apart from it, the jobs: the main job
(``jobs``), the benchmarks and the analyses. Its parts are the nodes of
:data:`LAYERS`, lowest first:

- ``utils/``, ``compat.py`` and ``version.py`` are leaves: they import
  nothing else of the package (the modules of ``utils`` may import each
  other);
- a part imports only parts of lower layers, never one of its own layer
  or above: so no cycle, the library never imports a job, and the jobs
  (the top layer) never import each other;
- the package root, which imports the parts that register components,
  imports library parts only: ``import tsdistill`` loads no job;
- every module belongs to a part of :data:`LAYERS`;
- ``tools/`` import only public names of the package.

Imports inside functions count too: a lazy import is still a dependency.
"""
import ast
import os
import os.path as osp
from typing import Dict, Iterator, List, Set, Tuple

from _helpers.tools import REPO

PACKAGE = 'tsdistill'
#: Not leaves yet, and why; each entry must still break the rule.
NOT_YET_LEAVES: Dict[str, str] = {}
#: The parts, by layer, lowest first; a module belongs to the longest
#: prefix among them. The last layer holds the jobs, the others the
#: library.
LAYERS = [
    # leaves
    ['tsdistill.utils', 'tsdistill.compat', 'tsdistill.version'],
    # M1, the distances and the connectors of the distillation terms
    [
        'tsdistill.models.flow', 'tsdistill.models.losses',
        'tsdistill.models.connectors'
    ],
    # the recognizers: the teacher (M1 + M2), the student M3, ...
    ['tsdistill.models.recognizers'],
    # what registers the rest, the data, the data tools, the engine
    [
        'tsdistill.models', 'tsdistill.datasets', 'tsdistill.data_tools',
        'tsdistill.engine', 'tsdistill.evaluation'
    ],
    # inference (mmaction2's apis) on the exported student
    ['tsdistill.apis'],
    # the jobs, apart from the library
    ['tsdistill.jobs', 'tsdistill.benchmarks', 'tsdistill.analysis'],
]
LIBRARY = tuple(node for layer in LAYERS[:-1] for node in layer)
JOBS = tuple(LAYERS[-1])
#: Nodes of the graph between parts.
NODES = LIBRARY + JOBS


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
    return node_of(module) in LAYERS[0]


def layer_of(node: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if node in layer)


def test_leaves_import_nothing_else():
    modules = package_modules()
    offences, still = [], set()
    for module, path in sorted(modules.items()):
        if not is_leaf_module(module):
            continue
        for target, line in imports_of(module, path, modules):
            if node_of(target) == node_of(module):
                continue  # utils' modules import each other
            if module in NOT_YET_LEAVES:
                still.add(module)
                continue
            offences.append(f'{osp.relpath(path, REPO)}:{line} imports '
                            f'{target}')
    assert not offences, 'utils/, compat.py and version.py must import ' \
        'nothing else of tsdistill:\n' + '\n'.join(offences)
    # an exception that no longer applies is removed from the list
    assert still == set(NOT_YET_LEAVES), sorted(set(NOT_YET_LEAVES) - still)


def part_imports() -> Iterator[Tuple[str, str, str, int]]:
    """``(part, imported part, file, line)`` of every import between two
    parts (the package root left out)."""
    modules = package_modules()
    for module, path in sorted(modules.items()):
        if module == PACKAGE:
            continue
        src = node_of(module)
        for target, line in imports_of(module, path, modules):
            dst = node_of(target)
            if dst not in (src, PACKAGE):
                yield src, dst, path, line


def subpackage_graph() -> Dict[str, Set[str]]:
    graph: Dict[str, Set[str]] = {}
    for src, dst, _, _ in part_imports():
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


def test_every_module_belongs_to_a_part():
    outside = [
        module for module in package_modules()
        if module != PACKAGE and node_of(module) not in NODES
    ]
    assert not outside, f'modules in no part of LAYERS: {sorted(outside)}'


def test_parts_import_only_lower_layers():
    """The library never imports a job, no part imports one of its own
    layer or above (so the jobs never import each other), no cycle."""
    offences = [
        f'{osp.relpath(path, REPO)}:{line}: {src} (layer {layer_of(src)}) '
        f'imports {dst} (layer {layer_of(dst)})'
        for src, dst, path, line in part_imports()
        if layer_of(dst) >= layer_of(src)
    ]
    assert not offences, 'imports upward or sideways:\n' + \
        '\n'.join(offences)


def test_no_import_cycle_between_subpackages():
    cycle = find_cycle(subpackage_graph())
    assert not cycle, 'import cycle: ' + ' -> '.join(cycle)


def test_import_tsdistill_loads_no_job():
    """The package root (``import tsdistill``, ``custom_imports``) imports
    library parts only."""
    modules = package_modules()
    imported = {
        node_of(target)
        for target, _ in imports_of(PACKAGE, modules[PACKAGE], modules)
    }
    assert imported and imported <= set(LIBRARY), sorted(imported)


def test_tools_import_public_names_only():
    """``tools/`` parse arguments and call the package through its public
    names, never a private helper (``_name``)."""
    offences = []
    for root, _, files in os.walk(osp.join(REPO, 'tools')):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = osp.join(root, name)
            with open(path) as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (
                        node.module or '').split('.')[0] == PACKAGE:
                    names = [node.module] + [a.name for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [
                        a.name for a in node.names
                        if a.name.split('.')[0] == PACKAGE
                    ]
                else:
                    continue
                private = [
                    n for n in names if any(
                        p.startswith('_') for p in n.split('.'))
                ]
                if private:
                    offences.append(f'{osp.relpath(path, REPO)}:'
                                    f'{node.lineno} imports {private}')
    assert not offences, '\n'.join(offences)


def test_the_checks_see_imports():
    """The graph reader finds relative, absolute and lazy imports, and the
    layer check finds an upward import."""
    graph = subpackage_graph()
    # relative, at module level and inside a function
    assert 'tsdistill.models.flow' in graph['tsdistill.data_tools']
    assert 'tsdistill.utils' in graph['tsdistill.models.recognizers']
    # lazy, absolute (config_dump's resolve_config_path)
    assert 'tsdistill.models.recognizers' in graph['tsdistill.jobs']
    assert layer_of('tsdistill.jobs') > layer_of('tsdistill.utils')
    assert find_cycle({
        'a': {'b'},
        'b': {'c'},
        'c': {'a'}
    }) == ['a', 'b', 'c', 'a']
