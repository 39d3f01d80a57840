"""The import graph of ionscale: rooms (subpackages and top-level modules), their layer order, no cycles.

Every ``import`` statement of every module under ``src/ionscale`` is read with :mod:`ast` (nothing is
imported, so no side effects), function-level imports included: a lazy import is still a dependency.
A *room* is the first name below ``ionscale`` (``transport``, ``trajectory``, ``cli``, …; ``ionscale``
itself is the package's ``__init__``). A room may import only rooms of lower layers (:data:`LAYERS`;
CONTRIBUTING.md explains them). An arrow that had to break this would be listed, with its reason, in
:data:`EXCEPTIONS`, so that any new upward or sideways arrow — and with it any new cycle — fails here;
an exception that no longer exists fails too (delete it from the list: the list only shrinks).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "ionscale"

#: lowest first; a room may import the rooms of strictly lower layers only (peers do not import each other)
LAYERS = [
    {"errors"},                                            # the exception type
    {"core"},                                              # result table and base, error bars, units, atomic files
    {"system", "io"},                                      # the Electrolyte; opening trajectories
    {"trajectory"},                                        # PBC, unwrapping, frame store, the pass, cache, plans
    {"transport", "structure", "mesoscale", "simulate"},   # the analyses (kernels, results), the simulator
    {"continuum"},                                         # TDF, Newman set, PyBaMM: built on the analyses
    {"analyses"},                                          # the analyses' settings and the registry
    {"pipeline"},                                          # one trajectory -> every analysis
    {"study", "report"},                                   # many state points on Dask; figures & HTML from files
    {"demo"},
    {"cli", "ionscale"},                                   # the command line; the package's public facade
]

#: (importing module, imported module) arrows allowed against the layer order: none is left (issue 15);
#: a new one needs its reason here, and must go when the reason goes
EXCEPTIONS: set = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The ionscale modules that the file at ``path`` imports (relative imports resolved)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module:
                found.add(target)
            else:  # from . import x: x is a module of that package
                found.update(f"{target}.{a.name}" for a in node.names)
    return {m for m in found if m == "ionscale" or m.startswith("ionscale.")}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ionscale"


def arrows() -> set[tuple[str, str]]:
    """Every (importing module, imported module) pair between two different rooms."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        found.update((source, target) for target in imported(path) if room(source) != room(target))
    return found


LAYER = {r: k for k, rooms in enumerate(LAYERS) for r in rooms}


def test_the_parser_sees_known_imports():
    """The reader itself: a relative, an absolute, a lazy and a ``from . import`` import are all found."""
    assert "ionscale.errors" in imported(PACKAGE / "system.py")                       # from .errors import
    assert "ionscale.transport.window" in imported(PACKAGE / "transport" / "figures.py")
    assert "ionscale.report.html" in imported(PACKAGE / "cli.py")                     # lazy, in a function
    assert ("ionscale.analyses", "ionscale.transport.onsager") in arrows()


def test_every_room_has_a_layer():
    rooms = {room(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert not rooms - set(LAYER), f"put these rooms into LAYERS (and CONTRIBUTING.md): {sorted(rooms - set(LAYER))}"
    assert not set(LAYER) - rooms, f"LAYERS names rooms that do not exist: {sorted(set(LAYER) - rooms)}"


def test_imports_follow_the_layer_order():
    wrong = sorted((s, t) for s, t in arrows() - EXCEPTIONS if LAYER[room(t)] >= LAYER[room(s)])
    assert not wrong, ("imports against the layer order (a room may import only lower layers; see "
                       "CONTRIBUTING.md): " + "; ".join(f"{s} -> {t}" for s, t in wrong))


def test_exceptions_are_still_needed():
    stale = sorted(EXCEPTIONS - arrows())
    assert not stale, f"these exceptions no longer occur: delete them from EXCEPTIONS: {stale}"


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components (the rooms that reach each other: the cycles)."""
    index, low, stack, on, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            components.append(component)
    for v in list(graph):
        if v not in index:
            visit(v)
    return components


def room_graph(pairs) -> dict[str, set[str]]:
    graph = defaultdict(set)
    for s, t in pairs:
        graph[room(s)].add(room(t))
        graph[room(t)]
    return graph


@pytest.mark.parametrize("graph, cycles", [({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [{"a", "b", "c"}]),
                                           ({"a": {"b"}, "b": set()}, [])])
def test_cycle_finder(graph, cycles):
    assert [c for c in strongly_connected(graph) if len(c) > 1] == cycles


def test_no_cycles_between_rooms():
    cycles = [c for c in strongly_connected(room_graph(arrows() - EXCEPTIONS)) if len(c) > 1]
    assert not cycles, f"import cycles between rooms: {cycles}"
    left = [c for c in strongly_connected(room_graph(arrows())) if len(c) > 1]
    assert not left, f"cycles with the exceptions counted: {left}"
