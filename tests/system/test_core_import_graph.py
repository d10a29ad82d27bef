"""The service layer's modules import each other without a cycle, and only the composition root
(``pkitui.core.pki``) and the agent that drives it (``pkitui.core.agent`` and its modules) know ``Pki``.

Every import counts: at module level, under ``if TYPE_CHECKING:`` and inside functions. An
import cycle inside core is a design smell (services reaching siblings through a facade), not
only a runtime risk.
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "pkitui" / "core"
PACKAGE = "pkitui.core"
ROOT_MODULE = "pkitui.core.pki"
# The agent drives the whole Python API on a timer, as a front end does (every service's timers,
# saves, deployment); nothing imports it back, so it adds no cycle. No service may hold Pki.
# Its loop (agent) and the modules it is split into that drive Pki: the schedule reads every
# service's timers, each step calls the services and saves what it produced. Only agent modules
# import them, so no service reaches Pki through them.
DRIVERS = {"pkitui.core.agent", "pkitui.core.agent_schedule", "pkitui.core.agent_renewal",
           "pkitui.core.agent_crl", "pkitui.core.agent_rollover", "pkitui.core.agent_expiry"}
MAY_IMPORT_ROOT = {ROOT_MODULE, PACKAGE} | DRIVERS


def _modules() -> dict[str, Path]:
    """Every module under pkitui/core by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The core modules ``name`` imports (``from pkg import mod`` names the module mod)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # import a.b.c: the deepest core module named
                target = target.rpartition(".")[0]
            if target and target != name and target != PACKAGE:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _path_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle through the first module of ``component``, as a readable path a -> b -> a."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
            if nxt not in previous:
                previous[nxt] = node
                frontier.append(nxt)
    return component


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "pkitui.core.certs" in graph["pkitui.core.pki"]
    assert "pkitui.core.errors" in graph["pkitui.core.certs"]


def test_a_cycle_is_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _path_in(["a", "b", "c"], graph) == ["a", "b", "c", "a"]


def test_core_has_no_import_cycle() -> None:
    graph = _graph()
    cycles = [" -> ".join(_path_in(c, graph)) + f"  ({len(c)} modules: {', '.join(c)})" for c in _cycles(graph)]
    assert not cycles, "import cycle(s) in pkitui/core:\n" + "\n".join(cycles)


def test_only_the_composition_root_knows_pki() -> None:
    graph = _graph()
    users = sorted(name for name, targets in graph.items() if ROOT_MODULE in targets and name not in MAY_IMPORT_ROOT)
    assert not users, f"these core modules import {ROOT_MODULE} (services get what they use instead): {users}"
