# Copyright (c) tsdistill authors. All rights reserved.
"""M1's modules (``tsdistill.models.flow``) import each other without a cycle.

tests/test_import_graph.py checks the graph between subpackages; this one
checks the modules inside M1's, read with ``ast`` as there (lazy imports
inside functions count).
"""
from typing import Dict, Set

from test_import_graph import find_cycle, imports_of, package_modules

FLOW = 'tsdistill.models.flow'


def flow_module_graph() -> Dict[str, Set[str]]:
    """``{module: modules of the package it imports}`` inside M1's."""
    modules = package_modules()
    graph: Dict[str, Set[str]] = {}
    for module, path in modules.items():
        if module == FLOW or not module.startswith(FLOW + '.'):
            continue  # the package's __init__ only re-exports
        for target, _ in imports_of(module, path, modules):
            if target.startswith(FLOW + '.') and target != module:
                graph.setdefault(module, set()).add(target)
    return graph


def test_no_import_cycle_between_flow_modules():
    graph = flow_module_graph()
    # the reader sees the module-level and the lazy edges
    assert f'{FLOW}.fused' in graph[f'{FLOW}.tvl1']
    assert f'{FLOW}.tvl1' in graph[f'{FLOW}.build_kernel']
    cycle = find_cycle(graph)
    assert not cycle, 'import cycle: ' + ' -> '.join(cycle)


def test_the_kernel_loader_imports_no_flow_module():
    """``fused`` builds and loads the kernel; M1 imports it, not back."""
    assert f'{FLOW}.fused' not in flow_module_graph()
