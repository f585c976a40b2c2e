"""Incremental notebook validation (checkpoints/validation.py, files.parse) against nbformat.

The reference is what Jupyter's contents manager reads: `nbformat.reads(text, as_version=4)`,
which logs (not raises) a validation error, so an invalid notebook still opens, with a
warning; only what nbformat cannot read at all is refused. Over a corpus of valid and
invalid notebooks of every v4 minor version, and over random mutations of valid ones, the
result (notebook and warning, or refusal) must be that one, with the cache cold and warm: a
cell seen valid before never masks a changed one, and a cell seen valid under one minor
version proves nothing under another. One test checks the reference itself against a real
FileContentsManager.
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
    """What Jupyter reads: ("ok", (notebook, warning or None)) or ("error", message)."""
    captured: dict[str, Any] = {}
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error=captured)
    except Exception as e:
        return "error", f"nb.ipynb is not a readable notebook: {e}"
    for key in files.TRANSIENT_METADATA:
        nb.metadata.pop(key, None)
    error = captured.get("ValidationError")
    return "ok", (nb, validation.warning_text(error.message) if error is not None else None)


def ours(text: str) -> tuple[str, Any]:
    try:
        parsed = files.parse(text, "nb.ipynb")
    except InvalidNotebook as e:
        return "error", str(e)
    assert parsed.split.units == snapshot.split_notebook(parsed.nb).units
    return "ok", (parsed.nb, parsed.split.validation_warning)


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


_INVENTED_ID = re.compile(r"'id': '[0-9a-f]{8}'")


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Equal outcomes; cell ids nbformat invents (random) are compared by uniqueness."""
    if a[0] != b[0] or a[0] == "error":
        return _INVENTED_ID.sub("'id': ?", str(a)) == _INVENTED_ID.sub("'id': ?", str(b))
    (na, wa), (nb, wb) = copy.deepcopy(a[1]), copy.deepcopy(b[1])
    if _INVENTED_ID.sub("'id': ?", str(wa)) != _INVENTED_ID.sub("'id': ?", str(wb)):
        return False
    for n in (na, nb):
        cells = n["cells"] if isinstance(n.get("cells"), list) else []
        ids = [c.pop("id") for c in cells if isinstance(c, dict) and "id" in c]
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
        # The fast path proves validity (no warning) or hands over; it never accepts more.
        assert verdict == nbformat_verdict(raw)
        assert verdict <= (want[0] == "ok" and want[1][1] is None)


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
    parsed = files.parse(json.dumps(bad), "nb.ipynb")  # opens in Jupyter, with a warning
    assert parsed.split.validation_warning
    assert _same(("ok", (parsed.nb, parsed.split.validation_warning)), reference(json.dumps(bad)))
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
    # Without metadata nbformat cannot even read it (nor can Jupyter open it).
    with pytest.raises(InvalidNotebook, match="not a readable notebook"):
        files.parse(json.dumps(forged), "nb.ipynb")
    # With metadata Jupyter opens it, invalid (no cell_type): it is stored as it is, with
    # nbformat's warning, and its unit wraps it, so it is never read back as a wrapper.
    forged["cells"][0] = {**wrapper, "metadata": {}}
    with pytest.warns(MissingIDFieldWarning):
        parsed = files.parse(json.dumps(forged), "nb.ipynb")
    assert parsed.split.validation_warning
    assert parsed.nb["cells"][0] == {**wrapper, "metadata": {}, "id": parsed.nb["cells"][0]["id"]}
    assert json.loads(parsed.split.units[0]) == {"cell": parsed.nb["cells"][0], "refs": []}


def test_a_cell_cached_under_one_version_is_checked_under_another() -> None:
    with_id = notebook(5)
    assert files.parse(json.dumps(with_id), "nb.ipynb").nb["nbformat_minor"] == 5
    # The same cells, ids included, in a 4.4 notebook: ids are not allowed before 4.5.
    older = copy.deepcopy(with_id)
    older["nbformat_minor"] = 4
    assert fast_verdict(older) is False
    warning = files.parse(json.dumps(older), "nb.ipynb").split.validation_warning
    assert warning is not None and "'id' was unexpected" in warning

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
        got = ours(text)
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


# -- what Jupyter opens is accepted, stored exactly, with nbformat's warning ---------------------
def _v44_with_ids() -> dict[str, Any]:
    """A v4.4 notebook whose cells carry ids (written by a newer Jupyter, then the minor
    version set back): invalid for nbformat's 4.4 schema, opened by Jupyter with a warning."""
    nb = notebook(5)
    nb["nbformat_minor"] = 4
    return nb


# Invalid at the top level, yet read by nbformat (and so opened by Jupyter).
IRREGULAR: dict[str, Any] = {
    "v4.4 with cell ids": _v44_with_ids(),
    "extra top-level key": {**notebook(4), "extra": {"kept": [1, 2]}},
    "cells an empty object": {**notebook(4), "cells": {}},
}
# nbformat reads it, Jupyter's trust marking (and nbformat's writer) trip on it; shaped like
# snapshot's wrapper of a cell, which it must never be taken for.
NO_CELL_TYPE = {
    **notebook(4),
    "cells": [{"metadata": {}, "source": "x", "refs": [["o", 0, "image/png", "0", ""]]}],
}


def test_the_reference_is_what_a_contents_manager_opens(tmp_path: Any) -> None:
    """Every case of the corpus above and the irregular ones, through a real
    FileContentsManager: parse accepts what it opens, with the same notebook, and warns
    exactly when it reports a validation failure; what it refuses, parse refuses too, but
    for what nbformat reads and only the contents manager's trust marking trips on."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    cm = FileContentsManager(root_dir=str(tmp_path))
    texts = [json.dumps(_applicable(m, n)) for m, n in CASES]
    texts += [json.dumps(nb) for nb in [*IRREGULAR.values(), NO_CELL_TYPE]]
    texts += ["{not json", '{"nbformat": 9, "nbformat_minor": 0}', '{"nbformat": 4}']
    texts += [json.dumps({**notebook(4), "metadata": ["not an object"]})]
    texts += [json.dumps({**notebook(4), "nbformat_minor": "4"})]
    opened = refused = warned = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text in texts:
            (tmp_path / "nb.ipynb").write_text(text)
            try:
                model = cm.get("nb.ipynb", content=True, type="notebook")
            except Exception:
                model = None
            got = ours(text)
            if model is None:
                # Refused by Jupyter: by us too, unless nbformat itself reads it and only the
                # contents manager's trust marking fails (a cell without cell_type); such a
                # notebook is kept too, exactly (see the test below).
                assert got[0] == "error" or _same(got, reference(text)), text[:300]
                refused += got[0] == "error"
                continue
            assert got[0] == "ok", (got, text[:300])
            content = model["content"]
            for cell in content["cells"] if isinstance(content.get("cells"), list) else []:
                cell.get("metadata", {}).pop("trusted", None)  # the notary's mark, not saved
            assert _same(got, ("ok", (content, got[1][1]))), text[:300]
            assert (got[1][1] is not None) == ("message" in model), (got[1][1], text[:300])
            opened += 1
            warned += got[1][1] is not None
    assert opened > 100 and warned > 50 and refused >= 3


@pytest.mark.parametrize("name", sorted(IRREGULAR))
def test_an_invalid_notebook_jupyter_opens_is_stored_exactly(store: Any, name: str) -> None:
    from jupyter_mltrack.checkpoints import service
    from jupyter_mltrack.store import checkpoints as repo

    text = json.dumps(IRREGULAR[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = files.parse(text, "nb.ipynb")
        want = nbformat.reads(text, as_version=4)
    warning = parsed.split.validation_warning
    assert warning
    if name == "v4.4 with cell ids":
        assert "'id' was unexpected" in warning
    info = service.create(store, "nb.ipynb", parsed.nb, split=parsed.split)
    assert info is not None and info.validation_warning == warning
    snapshot.clear_caches()
    entry = service.get(store, info.id)
    assert entry["validation_warning"] == warning
    assert entry["content"] == parsed.nb == want
    # What a restore writes is what Jupyter writes for the original.
    assert nbformat.writes(entry["content"]) == nbformat.writes(want)
    listed, _total = repo.list_checkpoints(store, "nb.ipynb")
    assert [i.validation_warning for i in listed] == [warning]
    # A valid notebook has no warning.
    valid = files.parse(json.dumps(notebook(4)), "nb.ipynb")
    assert valid.split.validation_warning is None
    info = service.create(store, "nb.ipynb", valid.nb, split=valid.split)
    assert info is not None and info.as_dict()["validation_warning"] is None


def test_a_cell_without_cell_type_is_kept_as_it_is(store: Any) -> None:
    from jupyter_mltrack.checkpoints import service

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = files.parse(json.dumps(NO_CELL_TYPE), "nb.ipynb")
    assert parsed.split.validation_warning
    info = service.create(store, "nb.ipynb", parsed.nb, split=parsed.split)
    assert info is not None
    snapshot.clear_caches()
    assert service.get(store, info.id)["content"] == NO_CELL_TYPE


def test_a_long_warning_is_cut_and_storable() -> None:
    text = validation.warning_text("x\x00y\ud800" + "z" * 5000)
    assert len(text) <= validation.MAX_WARNING + 10 and text.endswith("\u2026")
    assert text.startswith("x\\x00y\\ud800z")


async def test_rest_checkpoint_of_a_v44_notebook_with_ids(
    jp_fetch: Any, jp_root_dir: Any, jp_serverapp: Any
) -> None:
    """Through the server: 201 with the warning (it was a 422), the content kept with its
    ids, and a restore writes what Jupyter would write; text that is not JSON is a 422."""
    from jupyter_server.utils import ensure_async
    from tornado.httpclient import HTTPClientError

    text = json.dumps(_v44_with_ids())
    (jp_root_dir / "ids.ipynb").write_text(text)
    r = await jp_fetch(
        "mltrack", "api", "checkpoints", method="POST", body=json.dumps({"path": "ids.ipynb"})
    )
    assert r.code == 201
    entry = json.loads(r.body)
    assert "'id' was unexpected" in entry["validation_warning"]
    page = json.loads(
        (await jp_fetch("mltrack", "api", "checkpoints", params={"path": "ids.ipynb"})).body
    )
    assert page["items"][0]["validation_warning"] == entry["validation_warning"]
    full = json.loads((await jp_fetch("mltrack", "api", "checkpoints", entry["id"])).body)
    assert [c["id"] for c in full["content"]["cells"]] == [f"cell-{i}" for i in range(5)]
    r = await jp_fetch(
        "mltrack", "api", "checkpoints", entry["id"], "restore", method="POST", body="{}"
    )
    restored = jp_root_dir / json.loads(r.body)["path"]
    cm = jp_serverapp.contents_manager  # Jupyter opening and saving the original
    model = await ensure_async(cm.get("ids.ipynb", content=True, type="notebook"))
    await ensure_async(cm.save({**model, "type": "notebook", "format": "json"}, "saved.ipynb"))
    assert restored.read_bytes() == (jp_root_dir / "saved.ipynb").read_bytes()
    (jp_root_dir / "junk.ipynb").write_text("{not json")
    with pytest.raises(HTTPClientError) as e:
        await jp_fetch(
            "mltrack", "api", "checkpoints", method="POST", body=json.dumps({"path": "junk.ipynb"})
        )
    assert e.value.code == 422
