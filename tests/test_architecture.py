"""The package's layers, read from its source (docs/architecture.md, "Who calls whom").

* SQL stays in the store: SQLAlchemy (and Alembic) are imported only under `store/` and
  `query/` (the store's read side), and so are the ORM models (`store.models`): the rest of the
  package gets plain dataclasses and dicts, never a Session or a row.
* The web stays in the server: tornado and jupyter_server are imported only under `server/`.
* The client imports nothing above it: not `kernel/`, `server/` or `cli/`.
* The faces (`server/`, `kernel/`, `cli/`) reach checkpoints through their one service
  (`checkpoints.service`, or the Python API over it), not the store's repository.
* No run-time import cycle: the imports a module runs when it is imported (module level, not
  in a function, not under `if TYPE_CHECKING:`) form no cycle anywhere in the package.

Every import counts for the first three rules, the ones inside functions and under
`TYPE_CHECKING` too: a lazy import still ties the module to that layer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupyter_mltrack

PACKAGE = Path(jupyter_mltrack.__file__).parent
ROOT = PACKAGE.name


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted and absolute (ours or a third party's)
    line: int
    runtime: bool  # run when the module is imported (module level, outside TYPE_CHECKING)


def _modules() -> dict[str, tuple[Path, bool]]:
    """dotted name -> (file, is a package's __init__)."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(nodes: list[ast.stmt], runtime: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement, with whether it runs at import time. A class body runs; a function
    body, and the body of `if TYPE_CHECKING:`, do not."""
    for node in nodes:
        yield node, runtime
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(node.body, False)
        elif isinstance(node, ast.If):
            yield from _walk(node.body, runtime and not _is_type_checking(node))
            yield from _walk(node.orelse, runtime)
        else:  # try, with, for, while, class, match: their blocks run as the statement does
            for block in ("body", "orelse", "finalbody"):
                yield from _walk(getattr(node, block, None) or [], runtime)
            for part in [*getattr(node, "handlers", []), *getattr(node, "cases", [])]:
                yield from _walk(part.body, runtime)


def _imports_of(name: str, source: str, is_package: bool, modules: set[str]) -> list[Import]:
    """The imports of one module, relative ones made absolute; `from a import b` names the
    module `a.b` when there is one, else `a`."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: list[Import] = []
    for node, runtime in _walk(ast.parse(source).body, True):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = here[: len(here) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            ]
        found += [Import(name, t, node.lineno, runtime) for t in targets]
    return found


def _imports() -> list[Import]:
    modules = _modules()
    found: list[Import] = []
    for name, (path, is_package) in modules.items():
        found += _imports_of(name, path.read_text(encoding="utf-8"), is_package, set(modules))
    return found


def _layer(module: str) -> str:
    """`jupyter_mltrack.store.fields` -> `store`; a top-level module is its own layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _third_party(target: str) -> str:
    return target.split(".")[0]


def _where(imports: list[Import]) -> list[str]:
    return sorted({f"{i.module}:{i.line} imports {i.target}" for i in imports})


# Who may still name the checkpoint repository from a face, and for what.
REPOSITORY_USERS = {
    f"{ROOT}.server.checkpoints",  # its OpenAPI fragment states MAX_NAME and MAX_DESCRIPTION
    f"{ROOT}.cli.gc",  # every manifest a checkpoint needs, for what gc must keep
}


def _violations(imports: list[Import]) -> dict[str, list[str]]:
    sql = {"sqlalchemy", "alembic"}
    web = {"tornado", "jupyter_server"}
    return {
        "SQL outside store/ and query/": _where(
            [
                i
                for i in imports
                if (_third_party(i.target) in sql or i.target == f"{ROOT}.store.models")
                and _layer(i.module) not in ("store", "query")
            ]
        ),
        "tornado/jupyter_server outside server/": _where(
            [i for i in imports if _third_party(i.target) in web and _layer(i.module) != "server"]
        ),
        "client/ importing a face": _where(
            [
                i
                for i in imports
                if _layer(i.module) == "client"
                and i.target.startswith(ROOT + ".")
                and _layer(i.target) in ("kernel", "server", "cli")
            ]
        ),
        "a face using the checkpoint repository": _where(
            [
                i
                for i in imports
                if i.target == f"{ROOT}.store.checkpoints"
                and _layer(i.module) in ("server", "kernel", "cli")
                and i.module not in REPOSITORY_USERS
            ]
        ),
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _runtime_graph(
    imports: list[Import], modules: set[str], *, runtime_only: bool = True
) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for i in imports:
        if (i.runtime or not runtime_only) and i.target in modules and i.target != i.module:
            graph[i.module].add(i.target)
    return graph


def test_sql_web_and_the_client_stay_in_their_layers() -> None:
    assert _violations(_imports()) == {
        "SQL outside store/ and query/": [],
        "tornado/jupyter_server outside server/": [],
        "client/ importing a face": [],
        "a face using the checkpoint repository": [],
    }


def test_no_import_cycle_at_run_time() -> None:
    assert _cycles(_runtime_graph(_imports(), set(_modules()))) == []


def test_client_and_kernel_form_no_cycle_even_through_lazy_imports() -> None:
    """Stricter for the two layers a kernel loads: a cycle through a function's import or a
    type-checking import is still a cycle for the reader (the kernel's run-start and run-end
    hooks once formed one)."""
    graph = _runtime_graph(_imports(), set(_modules()), runtime_only=False)
    ours = [c for c in _cycles(graph) if any(_layer(m) in ("client", "kernel") for m in c)]
    assert ours == []


# -- the checker itself: it sees what it is meant to see ---------------------------------------


def test_the_checker_sees_lazy_and_type_checking_imports_and_cycles_only_at_run_time() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy.orm import Session\n"
        "def f():\n"
        "    import tornado.web\n"
        "try:\n"
        "    from ..kernel import state\n"
        "except ImportError:\n"
        "    from . import b\n"
    )
    a, b, kernel = f"{ROOT}.client.a", f"{ROOT}.client.b", f"{ROOT}.kernel"
    imports = _imports_of(a, source, False, {a, b, kernel})
    assert [(i.target, i.runtime) for i in imports] == [
        ("typing", True),
        ("sqlalchemy.orm", False),
        ("tornado.web", False),
        (kernel, True),
        (b, True),
    ]
    assert _violations(imports) == {
        "SQL outside store/ and query/": [f"{a}:3 imports sqlalchemy.orm"],
        "tornado/jupyter_server outside server/": [f"{a}:5 imports tornado.web"],
        "client/ importing a face": [f"{a}:7 imports {kernel}"],
        "a face using the checkpoint repository": [],
    }
    magic, repo = f"{ROOT}.kernel.m", f"{ROOT}.store.checkpoints"
    lazy = _imports_of(magic, "def h():\n    from ..store import checkpoints\n", False, {repo})
    assert _violations(lazy)["a face using the checkpoint repository"] == [
        f"{magic}:2 imports {repo}"
    ]
    back = _imports_of(b, "def g():\n    from . import a\n", False, {a, b})
    assert _cycles(_runtime_graph(imports + back, {a, b, kernel})) == []
    back = _imports_of(b, "from .a import x\n", False, {a, b})
    assert _cycles(_runtime_graph(imports + back, {a, b, kernel})) == [[a, b]]
