"""Incremental notebook validation (checkpoints/validation.py, files.parse) against nbformat.

The reference is nbformat's own reading (`files._read_with_nbformat`: `nbformat.validate`,
then `rejoin_lines` and `strip_transient`). Over a corpus of valid and invalid notebooks of
every v4 minor version, and over random mutations of valid ones, the incremental verdict
must be nbformat's, with the cache cold and warm: a cell seen valid before never masks a
changed one, and a cell seen valid under one minor version proves nothing under another.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import threading
import warnings
from typing import Any

import nbformat
import pytest
from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

from jupyter_mltrack.checkpoints import files, snapshot, validation
from jupyter_mltrack.errors import InvalidNotebook

MINORS = range(6)
PNG = base64.b64encode(bytes(range(256)) * 12).decode()  # long enough to become a binary


@pytest.fixture(autouse=True)
def cold_cache():
    validation.VALID_UNITS.clear()
    yield
    validation.VALID_UNITS.clear()


def cells() -> list[dict[str, Any]]:
    """One of each kind of cell and output, multi-line text both as lists and as strings."""
    return [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {
                "collapsed": False,
                "scrolled": "auto",
                "tags": ["a"],
                "trusted": True,
                "jupyter": {"source_hidden": True},
                "execution": {"iopub.status.busy": "2024-01-01T00:00:00Z"},
            },
            "source": ["import x\n", "print(1)"],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["1\n", "2\n"]},
                {"output_type": "stream", "name": "stderr", "text": "warn\n"},
                {
                    "output_type": "display_data",
                    "data": {"image/png": PNG + "\n", "text/plain": ["<Figure>"]},
                    "metadata": {"image/png": {"width": 10}},
                },
                {
                    "output_type": "execute_result",
                    "execution_count": 1,
                    "data": {
                        "text/html": ["<b>", "x</b>"],
                        "application/json": {"a": [1, "b"]},
                        "application/vnd.custom+json": ["kept", "as list"],
                    },
                    "metadata": {},
                },
                {
                    "output_type": "error",
                    "ename": "ValueError",
                    "evalue": "bad",
                    "traceback": ["line 1", "line 2"],
                },
            ],
        },
        {"cell_type": "code", "execution_count": None, "metadata": {}, "source": "", "outputs": []},
        {
            "cell_type": "markdown",
            "metadata": {"tags": []},
            "source": "# title\n![a](attachment:a.png)",
            "attachments": {"a.png": {"image/png": PNG, "text/plain": ["alt ", "text"]}},
        },
        {"cell_type": "markdown", "metadata": {}, "source": ["a\n", "b"]},
        {"cell_type": "raw", "metadata": {"format": "text/x-python"}, "source": "raw"},
    ]


def notebook(minor: int, n_copies: int = 1) -> dict[str, Any]:
    all_cells = [c for _ in range(n_copies) for c in cells()]
    if minor >= 5:
        for i, c in enumerate(all_cells):
            c["id"] = f"cell-{i}"
    return {
        "cells": all_cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def reference(text: str) -> tuple[str, Any]:
    """nbformat's reading: ("ok", notebook) or ("error", message)."""
    try:
        return "ok", files._read_with_nbformat(json.loads(text), text, "nb.ipynb")
    except InvalidNotebook as e:
        return "error", str(e)


def ours(text: str) -> tuple[str, Any]:
    try:
        parsed = files.parse(text, "nb.ipynb")
    except InvalidNotebook as e:
        return "error", str(e)
    assert parsed.split.units == snapshot.split_notebook(parsed.nb).units
    return "ok", parsed.nb


def fast_verdict(raw: dict[str, Any]) -> bool | None:
    """The incremental validator's own verdict (None: it leaves the notebook to nbformat)."""
    raw = copy.deepcopy(raw)
    minor = validation.fast_minor(raw)
    if minor is None:
        return None
    return files._parse_v4(raw, minor) is not None


def nbformat_verdict(raw: dict[str, Any]) -> bool:
    """Whether nbformat accepts `raw` (it also raises other errors on some invalid ones)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(copy.deepcopy(raw))
    except Exception:
        return False
    return True


# -- the corpus -------------------------------------------------------------------------------
def _set(path: list[Any], value: Any) -> Any:
    def mutate(nb: dict[str, Any]) -> None:
        target = nb
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Any:
    def mutate(nb: dict[str, Any]) -> None:
        target = nb
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


MUTATIONS = {
    "valid": lambda nb: None,
    "bad output_type": _set(["cells", 0, "outputs", 0, "output_type"], "bogus"),
    "missing source": _delete(["cells", 3, "source"]),
    "execution_count a string": _set(["cells", 0, "execution_count"], "1"),
    "execution_count negative": _set(["cells", 1, "execution_count"], -1),
    "extra key in a cell": _set(["cells", 4, "extra"], 1),
    "extra key in an output": _set(["cells", 0, "outputs", 4, "extra"], 1),
    "stream without name": _delete(["cells", 0, "outputs", 0, "name"]),
    "stream text of numbers": _set(["cells", 0, "outputs", 0, "text"], ["a", 1]),
    "source list with a number": _set(["cells", 3, "source"], ["a", 2]),
    "image not a string": _set(["cells", 0, "outputs", 2, "data", "image/png"], 5),
    "attachments in a code cell": _set(["cells", 1, "attachments"], {}),
    "tags not strings": _set(["cells", 2, "metadata", "tags"], [1]),
    "cell metadata not an object": _set(["cells", 4, "metadata"], []),
    "odd trusted flag": _set(["cells", 1, "metadata", "trusted"], "not a bool"),
    "unknown cell_type": _set(["cells", 4, "cell_type"], "heading"),
    "kernelspec without display_name": _delete(["metadata", "kernelspec", "display_name"]),
    "orig_nbformat a string": _set(["metadata", "orig_nbformat"], "x"),
    "signature in metadata": _set(["metadata", "signature"], "sha256:0"),
    "language name a number": _set(["metadata", "language_info", "name"], 3),
    "extra top-level key": _set(["extra"], True),
    "metadata missing": _delete(["metadata"]),
    "cells not a list": _set(["cells"], {}),
    "a cell not an object": _set(["cells", 2], "text"),
    "id in a cell": _set(["cells", 2, "id"], "abc"),
    "id with bad characters": _set(["cells", 2, "id"], "no spaces allowed"),
    "id not a string": _set(["cells", 2, "id"], 7),
    "id missing": _delete(["cells", 2, "id"]),
    "duplicate ids": _set(["cells", 2, "id"], "cell-0"),
    # Shaped like snapshot's wrapper of a cell with binaries: it has no cell_type.
    "wrapper-shaped cell": _set(["cells", 2], {"cell": {}, "refs": []}),
}


def _case(minor: int, name: str) -> dict[str, Any] | None:
    nb = notebook(minor)
    try:
        MUTATIONS[name](nb)
    except KeyError:  # an id mutation of a notebook without ids
        return None
    return nb


def _applicable(minor: int, name: str) -> dict[str, Any]:
    raw = _case(minor, name)
    assert raw is not None
    return raw


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Equal outcomes; cell ids nbformat invents (random) are compared by uniqueness."""
    if a[0] != b[0] or a[0] == "error":
        invented = re.compile(r"'id': '[0-9a-f]{8}'")
        return invented.sub("'id': ?", str(a)) == invented.sub("'id': ?", str(b))
    na, nb = copy.deepcopy(a[1]), copy.deepcopy(b[1])
    for n in (na, nb):
        ids = [c.pop("id") for c in n["cells"] if "id" in c]
        assert len(set(ids)) == len(ids)
    return bool(na == nb)


# Every (version, mutation) that applies: id mutations need a version with cell ids.
CASES = [(m, n) for n in sorted(MUTATIONS) for m in MINORS if _case(m, n) is not None]


@pytest.mark.parametrize(("minor", "name"), CASES)
def test_corpus_reads_exactly_as_nbformat_cold_and_warm(minor: int, name: str) -> None:
    raw = _applicable(minor, name)
    text = json.dumps(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = reference(text)
        assert _same(ours(text), want)  # cold cache
        ours(json.dumps(notebook(minor)))  # every unchanged cell now known valid
        assert _same(ours(text), want)
    verdict = fast_verdict(raw)
    if verdict is not None:
        assert verdict == nbformat_verdict(raw) == (want[0] == "ok")


def test_expected_verdicts_of_the_corpus() -> None:
    """The corpus means what it says (so the parity above is not vacuous)."""
    for minor in MINORS:
        assert fast_verdict(notebook(minor)) is True
        for name in ("bad output_type", "missing source", "execution_count a string"):
            assert fast_verdict(_applicable(minor, name)) is False
        assert fast_verdict(_applicable(minor, "orig_nbformat a string")) is False
        assert fast_verdict(_applicable(minor, "odd trusted flag")) is True
    assert fast_verdict(_applicable(4, "id in a cell")) is False
    for name in ("id missing", "duplicate ids", "wrapper-shaped cell", "cells not a list"):
        assert fast_verdict(_applicable(5, name)) is None


def test_one_changed_cell_is_checked_although_the_rest_is_cached() -> None:
    big = notebook(5, n_copies=20)
    units = files.parse(json.dumps(big), "nb.ipynb").split.units
    assert validation.VALID_UNITS.unknown(5, units) == []
    bad = copy.deepcopy(big)
    bad["cells"][57]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": 3}]
    assert fast_verdict(bad) is False
    with pytest.raises(InvalidNotebook, match="not a valid notebook") as ours_error:
        files.parse(json.dumps(bad), "nb.ipynb")
    assert reference(json.dumps(bad)) == ("error", str(ours_error.value))
    assert validation.VALID_UNITS.unknown(5, units) == []


def test_an_object_shaped_like_a_cached_unit_is_not_a_cell() -> None:
    """A cell with binaries has a wrapper unit without cell_type; an object spelled like that
    wrapper is no cell, however valid the cell its unit names was."""
    nb = notebook(5)
    units = files.parse(json.dumps(nb), "nb.ipynb").split.units
    wrapper = json.loads(units[0])
    assert "cell_type" not in wrapper and "refs" in wrapper
    forged = copy.deepcopy(nb)
    forged["cells"][0] = wrapper
    assert fast_verdict(forged) is None
    with pytest.warns(MissingIDFieldWarning), pytest.raises(InvalidNotebook, match="not valid"):
        files.parse(json.dumps(forged), "nb.ipynb")


def test_a_cell_cached_under_one_version_is_checked_under_another() -> None:
    with_id = notebook(5)
    assert files.parse(json.dumps(with_id), "nb.ipynb").nb["nbformat_minor"] == 5
    # The same cells, ids included, in a 4.4 notebook: ids are not allowed before 4.5.
    older = copy.deepcopy(with_id)
    older["nbformat_minor"] = 4
    assert fast_verdict(older) is False
    with pytest.raises(InvalidNotebook, match="'id' was unexpected"):
        files.parse(json.dumps(older), "nb.ipynb")

    # Cells valid under 4.4 (no ids) are not valid as they are under 4.5: nbformat gives
    # them ids (with its warning), and so must a read after the 4.4 one was cached.
    validation.VALID_UNITS.clear()
    no_ids = notebook(4)
    files.parse(json.dumps(no_ids), "nb.ipynb")
    newer = copy.deepcopy(no_ids)
    newer["nbformat_minor"] = 5
    with pytest.warns(MissingIDFieldWarning):
        nb = files.parse(json.dumps(newer), "nb.ipynb").nb
    assert all(isinstance(c.get("id"), str) for c in nb["cells"])

    # Directly: one unit, two versions.
    cell = notebook(5)["cells"][4]
    unit = snapshot.split_notebook({"cells": [cell]}).units
    assert validation.cells_valid([cell], unit, 5)
    assert not validation.cells_valid([cell], unit, 4)


def test_duplicate_ids_are_repaired_as_nbformat_does() -> None:
    raw = _applicable(5, "duplicate ids")
    with pytest.warns(DuplicateCellId):
        nb = files.parse(json.dumps(raw), "nb.ipynb").nb
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids) and ids[0] == "cell-0"


def test_random_mutations_get_nbformat_verdicts() -> None:
    """Seeded mutations anywhere in a valid notebook, validated with the cache warm."""
    rnd = random.Random(4)
    values = [None, 0, -1, 1.5, True, "", "x", [], ["a"], [1], {}, {"a": 1}]
    checked = accepted = 0
    for minor in MINORS:
        base = notebook(minor)
        files.parse(json.dumps(base), "nb.ipynb")
        for _ in range(120):
            nb = copy.deepcopy(base)
            parent, key = _random_slot(nb, rnd)
            action = rnd.random()
            if action < 0.3 and isinstance(parent, dict):
                del parent[key]
            elif action < 0.45 and isinstance(parent, dict):
                parent[f"new_{rnd.randrange(3)}"] = rnd.choice(values)
            else:
                parent[key] = copy.deepcopy(rnd.choice(values))
            verdict = fast_verdict(nb)
            if verdict is not None:
                assert verdict == nbformat_verdict(nb), json.dumps(nb)[:2000]
                checked += 1
                accepted += verdict
    assert checked > 500 and 100 < accepted < checked - 100


def _random_slot(nb: dict[str, Any], rnd: random.Random) -> tuple[Any, Any]:
    """A random (container, key) inside the notebook, its top level excluded."""
    slots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            slots.append((node, k))
            if isinstance(v, dict | list):
                walk(v)

    walk(nb["cells"])
    walk(nb["metadata"])
    return rnd.choice(slots)


def test_parse_matches_nbformat_for_other_versions_and_junk() -> None:
    v3 = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input="x = 1")])]
    )
    for text in (nbformat.v3.writes_json(v3), "[]", "{", '{"nbformat": 4}', '{"nbformat": 9}'):
        want = reference(text) if text.startswith("{") and text != "{" else None
        try:
            got: tuple[str, Any] = ("ok", files.parse(text, "nb.ipynb").nb)
        except InvalidNotebook as e:
            got = ("error", str(e))
        if want is not None:
            assert _same(got, want)
        else:
            assert got[0] == "error"


def test_cache_is_bounded_and_evicts_least_recently_used() -> None:
    cache = validation._ValidUnits(max_bytes=30 + 3 * validation._ValidUnits.ENTRY_BYTES)
    cache.add(5, [b"a" * 10, b"b" * 10, b"c" * 10])
    assert cache.unknown(5, [b"a" * 10]) == []  # "a" is now the most recent
    cache.add(5, [b"d" * 10])
    assert cache.unknown(5, [b"a" * 10, b"b" * 10, b"c" * 10, b"d" * 10]) == [1]
    assert cache.unknown(4, [b"a" * 10]) == [0]


def test_concurrent_parses_agree_with_nbformat() -> None:
    texts = []
    for minor in MINORS:
        for name in ("valid", "bad output_type", "extra key in a cell"):
            raw = _applicable(minor, name)
            texts.append(json.dumps(raw))
    want = [reference(t) for t in texts]
    failures: list[int] = []

    def worker(k: int) -> None:
        for i in range(len(texts)):
            j = (i + k) % len(texts)
            if not _same(ours(texts[j]), want[j]):
                failures.append(j)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
