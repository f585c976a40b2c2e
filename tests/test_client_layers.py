"""The client's place among the layers: it imports nothing above it (kernel, server, cli), its
modules and the kernel's import no cycle (type-checking imports included), and the kernel takes
part in a run's start through a hook it registers, which a plain `import jupyter_mltrack`
does without loading the client."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import run_start
from jupyter_mltrack.store.engine import Store

PACKAGE = Path(mlt.__file__).parent


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def _imports() -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its source (functions and
    `if TYPE_CHECKING:` blocks included: a cycle there is still a cycle for the reader)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here[: len(here) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    targets.add(sub if sub in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_client_imports_nothing_above_it_and_client_and_kernel_have_no_cycle() -> None:
    graph = _imports()
    upward = {
        (m, t)
        for m, targets in graph.items()
        if m.split(".")[1:2] == ["client"]
        for t in targets
        if t.split(".")[1:2] in (["kernel"], ["server"], ["cli"])
    }
    assert upward == set()
    ours = [
        c for c in _cycles(graph) if any(m.split(".")[1:2] in (["client"], ["kernel"]) for m in c)
    ]
    assert ours == []


def test_import_jupyter_mltrack_registers_the_kernel_hook_and_loads_no_client_module() -> None:
    code = (
        "import sys, jupyter_mltrack\n"
        "from jupyter_mltrack.client import run_start\n"
        "from jupyter_mltrack.kernel import link_notebook\n"
        "print(link_notebook in run_start._hooks)\n"
        "print(sorted(m for m in sys.modules if m.startswith('jupyter_mltrack')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    registered, loaded = out.stdout.strip().splitlines()
    assert registered == "True"
    assert loaded == str(
        [
            "jupyter_mltrack",
            "jupyter_mltrack._version",
            "jupyter_mltrack.client",
            "jupyter_mltrack.client.run_start",
            "jupyter_mltrack.kernel",
        ]
    )


def test_run_start_hooks_see_the_runs_that_write_to_a_store(sqlite_store: Store) -> None:
    seen: list[Any] = []
    run_start.add_hook(seen.append)
    try:
        online = mlt.init_run(store=sqlite_store.config.url, mode="sync")
        debug = mlt.init_run(store=sqlite_store.config.url, mode="debug")
    finally:
        run_start.remove_hook(seen.append)
    assert seen == [online]
    online.stop()
    debug.stop()


def test_the_field_handle_keeps_its_former_name_importable(sqlite_store: Store) -> None:
    from jupyter_mltrack.client import FieldHandle, Handler

    run = mlt.init_run(store=sqlite_store.config.url, mode="debug")
    assert Handler is FieldHandle and isinstance(run["x"], FieldHandle)
    run.stop()
