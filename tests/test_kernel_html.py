"""The inline HTML of the magics is inert: everything from notebooks and runs is escaped, no
script or event handler survives, images only as checked data URIs; diffs show every part."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import nbformat

from jupyter_mltrack.kernel import html, html_diff, html_runs

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "a", "form", "link", "meta", "base"}


class _Active(HTMLParser):
    """Collects what a browser would act on: active elements, handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(tag)
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on") or v.startswith("javascript:"):
                self.found.append(f"{tag}[{name}]")
            if name in ("src", "href") and not v.startswith("data:image/"):
                self.found.append(f"{tag}[{name}={v[:20]}]")


def active(page: str) -> list[str]:
    p = _Active()
    p.feed(page)
    return p.found


def _nb(cells: list[dict]) -> dict:  # type: ignore[type-arg]
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return dict(nb)


def test_history_escapes_names_descriptions_and_paths() -> None:
    entry = {
        "id": "abc123",
        "created_at": 1.7e9,
        "trigger": "run",
        "name": EVIL,
        "description": EVIL,
        "changes": {"added": 1, "removed": 0, "modified": 2},
        "runs": [{"id": EVIL, "state": "running"}],
        "notebook_path": EVIL + ".ipynb",
        "author": "me",
        "from_disk": True,
    }
    page = html.history([entry], None)
    assert not active(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "(from disk)" in page
    assert "+1 -0 ~2<" in page  # no move: nothing more said
    moved = {**entry, "changes": {"added": 0, "removed": 0, "modified": 1, "moved": 2}}
    assert "+0 -0 ~1, 2 moved" in html.history([moved], "nb.ipynb")  # as the CLI says it


def test_diff_shows_source_outputs_images_and_counts_side_by_side() -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    old_png = base64.b64encode(b"\x89PNG old").decode()
    base = _nb(
        [
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell(
                "plot()",
                execution_count=1,
                outputs=[nbformat.v4.new_output("display_data", {"image/png": old_png})],
            ),
            nbformat.v4.new_code_cell("gone = 1", execution_count=2),
        ]
    )
    remote = _nb(
        [
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell(
                "plot()",
                execution_count=5,
                outputs=[nbformat.v4.new_output("display_data", {"image/png": png})],
            ),
            nbformat.v4.new_code_cell(
                "print('hi')",
                execution_count=6,
                outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text=EVIL),
                    nbformat.v4.new_output("display_data", {"text/html": EVIL}),
                    nbformat.v4.new_output(
                        "display_data", {"image/svg+xml": "<svg onload='alert(1)'></svg>"}
                    ),
                ],
            ),
        ]
    )
    page = html_diff.diff(base, remote, "a1", "b2")
    assert not active(page)
    assert "1 added, 1 removed, 1 modified" in page
    assert "changed: outputs, execution count" in page
    assert f"data:image/png;base64,{old_png}" in page and f"data:image/png;base64,{png}" in page
    assert "[1]" in page and "[5]" in page and "1 unchanged cell(s)" in page
    assert "data:image/svg+xml;base64," in page  # through <img>: its scripts never run
    assert "text/html (shown as text)" in page


def test_bad_image_data_is_refused() -> None:
    out = {"output_type": "display_data", "data": {"image/png": '"><script>x</script>'}}
    assert html_diff.output(out) == '<span class="mlt-muted">[image with invalid data]</span>'


def test_run_view_has_fields_metrics_and_a_chart() -> None:
    detail = {
        "id": "UI-1",
        "sys": {"sys/name": EVIL, "sys/state": "running", "sys/duration": 3.0},
        "tags": [EVIL],
        "fields": [
            {
                "path": "train/loss",
                "type": "float_series",
                "last": 0.5,
                "min": 0.5,
                "max": 3.0,
                "count": 3,
                "last_step": 2.0,
                "kind": "metric",
            },
            {"path": "params/opt", "type": "string", "value": EVIL, "kind": "param"},
            {"path": "monitoring/cpu", "type": "float_series", "count": 9, "kind": None},
        ],
        "checkpoint": {"id": "c1", "notebook_path": "nb.ipynb"},
    }
    page = html_runs.run(detail, {"train/loss": ([0.0, 1.0, 2.0], [3.0, float("nan"), 0.5])})
    assert not active(page)
    assert "<svg" in page and "<polyline" in page and "params/opt" in page
    assert "nb.ipynb" in page and "0.5" in page
    # Parameters, then metrics, by the server's kind; the hardware series among the rest.
    assert page.index(">parameter<") < page.index(">metric<") < page.index(">field<")
    assert page.index("params/opt") < page.index("train/loss") < page.index("monitoring/cpu")
    assert "float_series (9 entries)" in page


def test_runs_table_escapes_values_and_says_how_many() -> None:
    items = [{"sys/id": "A-1", "sys/name": EVIL, "sys/tags": [EVIL]}]
    page = html_runs.runs_table(items, ["sys/id", "sys/name", "sys/tags"], total=7)
    assert not active(page) and "1 of 7 runs shown" in page
    # Past 2,000 runs the total is the server's estimate, and says so.
    page = html_runs.runs_table(items, ["sys/id"], total=120_000, estimated=True)
    assert "1 of about 120000 runs shown" in page and "Runs (about 120000)" in page
    assert "about" not in html_runs.runs_table(items, ["sys/id"], total=7)


def _pages() -> dict[str, str]:
    entry = {
        "id": "abc123",
        "created_at": 1.7e9,
        "trigger": "manual",
        "name": "baseline",
        "description": "",
        "changes": {"added": 1, "removed": 0, "modified": 2},
        "runs": [],
        "notebook_path": "nb.ipynb",
        "author": "ana",
    }
    base = _nb([nbformat.v4.new_code_cell("lr = 0.5\nfit(lr)", execution_count=1)])
    remote = _nb([nbformat.v4.new_code_cell("lr = 0.05\nfit(lr)", execution_count=2)])
    detail = {
        "id": "UI-1",
        "sys": {"sys/name": "n", "sys/state": "finished"},
        "fields": [{"path": "params/lr", "type": "float", "value": 0.05}],
    }
    return {
        "history": html.history([entry], "nb.ipynb"),
        "diff": html_diff.diff(base, remote, "abc123", "now"),
        "runs": html_runs.runs_table(
            [{"sys/id": "A-1", "sys/name": "x"}], ["sys/id", "sys/name"], 1
        ),
        "run": html_runs.run(detail, {"train/loss": ([0.0, 1.0], [2.0, 1.0])}),
    }


def test_every_table_cell_is_left_aligned_by_its_own_style() -> None:
    """JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td {text-align: right}`
    outranks a class selector; a style attribute outranks it (and survives its sanitizer)."""
    for name, page in _pages().items():
        cells = len(re.findall(r"<t[dh][ >]", page))
        aligned = page.count('<td style="text-align:left">') + page.count(
            '<th style="text-align:left">'
        )
        assert cells == aligned > 0, name
        assert page.count("<table") == page.count("table-layout:auto;text-align:left"), name
        assert ".mlt.mlt th,.mlt.mlt td{" in page and "monospace" in page, name


def test_the_text_twin_is_left_aligned_columns() -> None:
    from jupyter_mltrack.kernel import plain

    pages = _pages()
    history = plain.text(pages["history"]).splitlines()
    assert history[0] == "Checkpoints of nb.ipynb"
    head, rule, row = history[1:4]
    assert head.split() == [
        "id", "created", "trigger", "name", "description", "cells", "runs", "author"
    ]  # fmt: skip
    assert set(rule) <= {"-", " "} and row.startswith("abc123  ")
    assert row.index("manual") == head.index("trigger") and row.endswith("ana")
    diff = plain.text(pages["diff"]).splitlines()
    assert diff[:2] == ["Diff abc123 → now", "0 added, 0 removed, 1 modified"]
    left, right = zip(*(line.split(" | ") for line in diff if " | " in line), strict=True)
    assert "lr = 0.5" in [s.strip() for s in left] and "lr = 0.05" in [s.strip() for s in right]
    assert "[chart: train/loss]" in plain.text(pages["run"])
    for page in pages.values():
        text = plain.text(page)
        assert "<" not in text and "{" not in text  # no tag, no stylesheet
    assert plain.bundle(pages["runs"]) == {
        "text/html": pages["runs"],
        "text/plain": "Runs (1)\nsys/id  sys/name\n------  --------\nA-1     x",
    }


def test_diff_shows_a_moved_cell_once_with_its_edit() -> None:
    cells = [nbformat.v4.new_code_cell(f"step_{k} = {k}") for k in range(5)]
    for k, c in enumerate(cells):
        c["id"] = f"c{k}"
    helper = nbformat.v4.new_code_cell("def helper():\n    return 1")
    helper["id"] = "helper"
    moved = nbformat.v4.new_code_cell("def helper():\n    return 2")
    moved["id"] = "helper"
    page = html_diff.diff(_nb([*cells, helper]), _nb([moved, *cells]), "a", "b")
    assert not active(page)
    assert "0 added, 0 removed, 0 modified, 1 moved" in page
    assert page.count("moved from #6 and edited: source") == 2  # the note on both sides
    assert "return 1" in page and "return 2" in page
