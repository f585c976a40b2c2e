"""Inline HTML for the magics where no lab extension renders (Colab, VS Code, classic Notebook).

Self-contained and inert: every value from a notebook or a run is escaped, nothing here emits
a script, an event handler or a link, styles are scoped under `.mlt` and use Jupyter's CSS
variables with plain fallbacks (so the output reads in light and dark themes alike). Images
from outputs are shown through `<img src="data:...">` only after their base64 has been
checked, and SVG outputs go through `<img>` too, where a browser never runs their scripts.
Charts are inline SVG drawn here from numbers.

This module holds the page, its styles and the small pieces (escaping, tables, times) and the
checkpoint history; `html_diff.py` renders notebooks and their diffs, `html_runs.py` runs.

JupyterLab right-aligns table cells (`:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`
outranks a class) and centres tables: each cell carries `text-align:left` in its own style
attribute (no stylesheet outranks it; the sanitizer keeps it), the CSS doubles its class to
outrank the lab's other rules, cells are monospace. plain.py makes the text/plain twin.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..store.entities import changes_text

MAX_ROWS = 500  # rows of a table shown at most

# Cells and tables: left-aligned and not centred, whatever the page's own CSS says.
LEFT = ' style="text-align:left"'
TABLE_STYLE = ' style="margin:4px 0;table-layout:auto;text-align:left"'
CSS = """
.mlt{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;
color:var(--jp-ui-font-color1,#222);line-height:1.4;text-align:left}
.mlt.mlt table{border-collapse:collapse;margin:4px 0;table-layout:auto}
.mlt.mlt th,.mlt.mlt td{border:1px solid var(--jp-border-color2,#ccc);padding:2px 6px;
text-align:left;vertical-align:top;white-space:normal;
font-family:var(--jp-code-font-family,ui-monospace,monospace);font-size:12px}
.mlt.mlt th{background:var(--jp-layout-color2,#f3f3f3)}
.mlt.mlt pre{margin:0;padding:0;white-space:pre-wrap;word-break:break-word;background:none;
font-family:var(--jp-code-font-family,monospace);font-size:12px}
.mlt.mlt .mlt-muted{color:var(--jp-ui-font-color2,#777)}
.mlt.mlt .mlt-diff td{width:50%}
.mlt.mlt .mlt-add{background:rgba(40,167,69,.15)}
.mlt.mlt .mlt-del{background:rgba(220,53,69,.15)}
.mlt.mlt .mlt-mod{background:rgba(255,193,7,.18)}
.mlt.mlt .mlt-tag{display:inline-block;border:1px solid var(--jp-border-color2,#ccc);
border-radius:3px;padding:0 4px;margin-right:3px}
.mlt.mlt img{max-width:100%}
.mlt.mlt svg text{font-size:10px;fill:var(--jp-ui-font-color2,#666)}
.mlt.mlt .mlt-charts{display:flex;flex-wrap:wrap;gap:8px}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(body: str, title: str = "") -> str:
    """Wrap a fragment: a scoped style element and a root `div.mlt`."""
    head = f"<div><b>{esc(title)}</b></div>" if title else ""
    return f'<div class="mlt"><style>{CSS}</style>{head}{body}</div>'


def message(text: str, detail: str = "") -> str:
    extra = f' <span class="mlt-muted">{esc(detail)}</span>' if detail else ""
    return page(f"<div>{esc(text)}{extra}</div>")


def when(t: Any) -> str:
    if not isinstance(t, (int, float)) or not math.isfinite(t):
        return ""
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def number(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return esc(v)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """Headers are escaped here; cells must already be HTML (escaped by the caller)."""
    head = "".join(f"<th{LEFT}>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{LEFT}>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}{TABLE_STYLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- history -------------------------------------------------------------------------------------
def history(entries: Sequence[dict[str, Any]], path: str | None, total: int | None = None) -> str:
    if not entries:
        where = f" of {path}" if path else ""
        return message(f"No checkpoints{where} yet.", "%mltrack checkpoint takes one.")
    rows = []
    for e in entries:
        ch = e.get("changes") or {}
        changes = changes_text(ch)
        runs = " ".join(f'<span class="mlt-tag">{esc(r.get("id"))}</span>' for r in e["runs"])
        flags = " (from disk)" if e.get("from_disk") else ""
        rows.append(
            [
                f"<code>{esc(e['id'])}</code>",
                esc(when(e.get("created_at"))),
                esc(e.get("trigger")) + esc(flags),
                esc(e.get("name")),
                esc(e.get("description")),
                esc(changes),
                runs,
                esc(e.get("notebook_path")) if not path else esc(e.get("author")),
            ]
        )
    last = "notebook" if not path else "author"
    title = f"Checkpoints of {path}" if path else "Checkpoints (all notebooks)"
    more = ""
    if total is not None and total > len(entries):
        more = f'<div class="mlt-muted">{len(entries)} of {total} shown</div>'
    headers = ["id", "created", "trigger", "name", "description", "cells", "runs", last]
    return page(table(headers, rows) + more, title)
