"""The layers stay layers: no cycle between the top-level packages, and nothing below the
service reaches up into it.

The graph is read from the source with ``ast``: every ``import`` and ``from … import``,
at module level or inside a function (so an import moved into a function cannot hide a
cycle). Imports under ``if TYPE_CHECKING:`` are left out: they never run. A top-level
package is the first name under ``custos`` (``custos.service.work.jobs`` is ``service``; a
module such as ``custos/plugins.py`` is its own).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import custos

ROOT = Path(custos.__file__).parent
#: the layers that must work without the service, the plug-ins or the command line above them
LOWER = ("engine", "stores", "datamap", "rules", "taxonomy", "matching", "errors", "config", "controlplane",
         "notice", "package", "hooks", "plugins")
UPPER = ("service", "consent", "agents", "recipients", "breaches", "cli", "server", "demo")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _typing_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ((isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
                                         or (isinstance(node.test, ast.Attribute)
                                             and node.test.attr == "TYPE_CHECKING")):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _is_part(name: str) -> bool:
    return (ROOT / name).is_dir() or (ROOT / f"{name}.py").exists()


def imports() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → where, for every import between two packages."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        module = _module(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _typing_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                target = _top(name)
                if name.startswith("custos.") and target != _top(module) and _is_part(target):
                    found[(_top(module), target)].append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(list(graph)):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_a_cycle_and_an_import_inside_a_function() -> None:
    assert cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    assert cycles({("a", "b"), ("b", "c")}) == []
    found = imports()
    # cli imports the service inside its commands (for a fast start); the checker counts them
    assert ("cli", "service") in found


def test_no_cycle_between_top_level_packages() -> None:
    found = imports()
    circles = cycles(set(found))
    detail = {f"{a} -> {b}": found[(a, b)][:3] for circle in circles for (a, b) in found
              if a in circle and b in circle}
    assert circles == [], f"import cycles between packages: {circles}; {detail}"


def test_nothing_below_the_service_imports_it_or_a_plug_in() -> None:
    found = imports()
    wrong = {f"{a} -> {b}": where for (a, b), where in found.items() if a in LOWER and b in UPPER}
    assert wrong == {}


def test_the_service_imports_no_plug_in_and_no_composition_root() -> None:
    found = imports()
    wrong = {f"service -> {b}": where for (a, b), where in found.items()
             if a == "service" and b in ("consent", "agents", "recipients", "server", "cli")}
    assert wrong == {}


def test_errors_below_the_command_line_name_no_command_line_flag() -> None:
    """An HTTP caller reads the engine's and the service's messages too: they name the caller's
    parameter through ``CustosError.option``, and the command line shows its own flag."""
    import re

    flag = re.compile(r"(^|[\s(;,])--[a-z][a-z-]+")
    found: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        if _top(_module(path)) not in (*LOWER, "service", "consent", "agents"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for part in ast.walk(node.exc):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and flag.search(part.value):
                        found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {part.value[:60]}")
    assert found == []


def test_the_engine_sees_the_store_protocol_only() -> None:
    """Dialect details stay in the adapters: the engine and the data map import the protocol
    (``custos.stores``, ``.base``, ``.due``, ``.values``), never an adapter."""
    allowed = {"custos.stores", "custos.stores.base", "custos.stores.due", "custos.stores.values"}
    wrong: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        if _top(_module(path)) not in ("engine", "datamap"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("custos.stores") \
                    and node.module not in allowed:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {node.module}")
    assert wrong == []
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import custos.engine, sys; "
                             "print(sorted(m for m in sys.modules if m.startswith('custos.stores')))"],
                            capture_output=True, text=True, check=True).stdout
    assert "custos.stores.sql" not in loaded  # importing the engine loads no adapter
