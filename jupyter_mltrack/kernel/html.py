"""Inline HTML for the magics where no lab extension renders (Colab, VS Code, classic Notebook).

Self-contained and inert: every value from a notebook or a run is escaped, nothing here emits
a script, an event handler or a link, styles are scoped under `.mlt` and use Jupyter's CSS
variables with plain fallbacks (so the output reads in light and dark themes alike). Images
from outputs are shown through `<img src="data:...">` only after their base64 has been
checked, and SVG outputs go through `<img>` too, where a browser never runs their scripts.
Charts are inline SVG drawn here from numbers.

JupyterLab right-aligns table cells (`:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`
outranks a class) and centres tables: each cell carries `text-align:left` in its own style
attribute (no stylesheet outranks it; the sanitizer keeps it), the CSS doubles its class to
outrank the lab's other rules, cells are monospace. plain.py makes the text/plain twin.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .. import sysfields
from ..store.entities import changes_text

MAX_TEXT = 20_000  # characters of one text output shown before "... N more"
MAX_ROWS = 500
_B64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")

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


# -- notebook parts ------------------------------------------------------------------------------
def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else ("" if value is None else str(value))


def _pre(text: str, cls: str = "") -> str:
    text = _ANSI.sub("", text)
    more = ""
    if len(text) > MAX_TEXT:
        more = f'<div class="mlt-muted">… {len(text) - MAX_TEXT:,} more characters</div>'
        text = text[:MAX_TEXT]
    klass = f' class="{cls}"' if cls else ""
    return f"<pre{klass}>{esc(text)}</pre>{more}"


def _image(mime: str, data: Any) -> str:
    b64 = _text(data)
    if mime == "image/svg+xml":
        import base64

        b64 = base64.b64encode(b64.encode("utf-8")).decode("ascii")
    if not _B64.match(b64):
        return '<span class="mlt-muted">[image with invalid data]</span>'
    return f'<img alt="{esc(mime)} output" src="data:{mime};base64,{"".join(b64.split())}">'


def output(out: dict[str, Any]) -> str:
    """One output as a reader should see it; HTML and JavaScript outputs as their text."""
    kind = out.get("output_type")
    if kind == "stream":
        return _pre(_text(out.get("text")), "mlt-del" if out.get("name") == "stderr" else "")
    if kind == "error":
        tb = "\n".join(out.get("traceback") or []) or f"{out.get('ename')}: {out.get('evalue')}"
        return _pre(tb, "mlt-del")
    data = out.get("data") or {}
    for mime in IMAGE_TYPES:
        if mime in data:
            return _image(mime, data[mime])
    if "text/plain" in data:
        return _pre(_text(data["text/plain"]))
    for mime in ("text/markdown", "text/html", "text/latex", "application/json"):
        if mime in data:
            label = f'<div class="mlt-muted">{esc(mime)} (shown as text)</div>'
            return label + _pre(
                _text(data[mime]) if mime != "application/json" else str(data[mime])
            )
    kinds = ", ".join(sorted(data)) or "empty"
    return f'<span class="mlt-muted">[{esc(kinds)} output]</span>'


def cell(c: dict[str, Any] | None) -> str:
    if c is None:
        return ""
    kind = c.get("cell_type", "code")
    count = c.get("execution_count")
    label = f"[{count if count is not None else ' '}]" if kind == "code" else kind
    parts = [f'<div class="mlt-muted">{esc(label)}</div>', _pre(_text(c.get("source")))]
    for out in c.get("outputs") or []:
        parts.append(output(out))
    return "".join(parts)


def _parts_changed(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    changed = []
    if _text(a.get("source")) != _text(b.get("source")):
        changed.append("source")
    if a.get("cell_type") != b.get("cell_type"):
        changed.append("type")
    if (a.get("outputs") or []) != (b.get("outputs") or []):
        changed.append("outputs")
    if a.get("execution_count") != b.get("execution_count"):
        changed.append("execution count")
    if (a.get("metadata") or {}) != (b.get("metadata") or {}):
        changed.append("metadata")
    if (a.get("attachments") or {}) != (b.get("attachments") or {}):
        changed.append("attachments")
    return changed


def diff(
    base: dict[str, Any],
    remote: dict[str, Any],
    base_label: str,
    remote_label: str,
    *,
    context: bool = False,
) -> str:
    """Side by side: removed cells left, added right, modified cells both sides with the parts
    that changed named (source, outputs, execution count, metadata), a moved cell once at its
    new place, "moved from #i" (with its edit named), as the lab shows it. Unchanged cells are
    folded into a count unless `context`."""
    # rapidfuzz, and the checkpoints package: on use
    from ..checkpoints.align import align, find_moves

    a, b = base.get("cells") or [], remote.get("cells") or []
    rows: list[list[str]] = []
    same = 0
    changes = {"added": 0, "removed": 0, "modified": 0, "moved": 0}
    alignment = align(a, b)
    moved_to = {j: i for i, j in find_moves(a, b, alignment)}
    moved_from = set(moved_to.values())

    def flush_same() -> None:
        nonlocal same
        if same:
            rows.append([f'<span class="mlt-muted">{same} unchanged cell(s)</span>'] * 2)
            same = 0

    for i, j in alignment:
        left = a[i] if i is not None else None
        right = b[j] if j is not None else None
        if i in moved_from:
            continue  # drawn at its new place
        if j is not None and j in moved_to:
            flush_same()
            changes["moved"] += 1
            k = moved_to[j]
            what = _parts_changed(a[k], b[j])
            edit = f" and edited: {', '.join(what)}" if what else ""
            note = f'<div class="mlt-muted">moved from #{k + 1}{esc(edit)}</div>'
            rows.append(
                [
                    f'<div class="mlt-mod">{note}{cell(a[k])}</div>',
                    f'<div class="mlt-mod">{note}{cell(b[j])}</div>',
                ]
            )
            continue
        if left is not None and right is not None:
            what = _parts_changed(left, right)
            if not what:
                if context:
                    rows.append([cell(left), cell(right)])
                else:
                    same += 1
                continue
            flush_same()
            changes["modified"] += 1
            note = f'<div class="mlt-muted">changed: {esc(", ".join(what))}</div>'
            rows.append(
                [
                    f'<div class="mlt-mod">{note}{cell(left)}</div>',
                    f'<div class="mlt-mod">{note}{cell(right)}</div>',
                ]
            )
        elif left is not None:
            flush_same()
            changes["removed"] += 1
            rows.append([f'<div class="mlt-del">{cell(left)}</div>', ""])
        else:
            flush_same()
            changes["added"] += 1
            rows.append(["", f'<div class="mlt-add">{cell(right)}</div>'])
    flush_same()
    meta = ""
    if (base.get("metadata") or {}) != (remote.get("metadata") or {}):
        meta = '<div class="mlt-muted">notebook metadata changed</div>'
    summary = (
        f'<div class="mlt-muted">{changes["added"]} added, {changes["removed"]} removed, '
        f"{changes['modified']} modified"
        + (f", {changes['moved']} moved" if changes["moved"] else "")
        + "</div>"
    )
    side_by_side = table([base_label, remote_label], rows, "mlt-diff")
    return page(summary + meta + side_by_side, f"Diff {base_label} → {remote_label}")


# -- runs ----------------------------------------------------------------------------------------
def _cell_value(key: str, v: Any) -> str:
    if v is None:
        return ""
    f = sysfields.get(key)
    if f is not None and f.is_time:
        return esc(when(v))
    if f is not None and f.type == "duration" and isinstance(v, (int, float)):
        return esc(sysfields.duration_text(v))
    if isinstance(v, list):
        return " ".join(f'<span class="mlt-tag">{esc(x)}</span>' for x in v)
    return number(v)


def runs_table(
    items: Sequence[dict[str, Any]],
    columns: Sequence[str],
    total: int,
    estimated: bool = False,
) -> str:
    """The runs a query matches; `estimated`: `total` is the server's estimate (past 2,000
    runs, query/pages.py), shown as "about N"."""
    if not items:
        return message("No runs match.")
    rows = [[_cell_value(c, it.get(c)) for c in columns] for it in items[:MAX_ROWS]]
    count = f"about {total}" if estimated else str(total)
    more = ""
    if total > len(rows) or estimated:
        more = f'<div class="mlt-muted">{len(rows)} of {count} runs shown</div>'
    return page(table(columns, rows) + more, f"Runs ({count})")


def chart(title: str, steps: Sequence[float], values: Sequence[Any], w: int = 320) -> str:
    """A line chart as inline SVG; non-finite points break the line."""
    h, pad = 140, 28
    pts = [
        (float(s), float(v))
        for s, v in zip(steps, values, strict=False)
        if isinstance(v, (int, float)) and math.isfinite(v) and math.isfinite(s)
    ]
    head = f"<text x='{pad}' y='12'>{esc(title)}</text>"
    if not pts:
        body = f"<text x='{pad}' y='{h // 2}'>no finite points</text>"
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}'>{head}{body}</svg>"
        )
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    dx, dy = (x1 - x0) or 1.0, (y1 - y0) or 1.0

    def sx(x: float) -> float:
        return pad + (x - x0) / dx * (w - pad - 8)

    def sy(y: float) -> float:
        return h - 18 - (y - y0) / dy * (h - 36)

    segments: list[list[str]] = [[]]
    for s, v in zip(steps, values, strict=False):
        ok = isinstance(v, (int, float)) and math.isfinite(v) and math.isfinite(s)
        if ok:
            segments[-1].append(f"{sx(float(s)):.1f},{sy(float(v)):.1f}")
        elif segments[-1]:
            segments.append([])
    lines = "".join(
        f"<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='{' '.join(seg)}'/>"
        for seg in segments
        if seg
    )
    axes = (
        f"<line x1='{pad}' y1='{h - 18}' x2='{w - 8}' y2='{h - 18}' stroke='#999'/>"
        f"<text x='{pad}' y='{h - 4}'>{esc(f'{x0:g}')}</text>"
        f"<text x='{w - 8}' y='{h - 4}' text-anchor='end'>{esc(f'{x1:g}')}</text>"
        f"<text x='2' y='{sy(y1) + 4:.0f}'>{esc(f'{y1:.3g}')}</text>"
        f"<text x='2' y='{sy(y0):.0f}'>{esc(f'{y0:.3g}')}</text>"
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
        f"role='img'>{head}{axes}{lines}</svg>"
    )


def run(detail: dict[str, Any], series: dict[str, tuple[list[float], list[Any]]]) -> str:
    """A run: its sys values, last metrics, other fields, charts of its float series."""
    sys = detail.get("sys") or {}
    head_rows = []
    summary = [f.path for f in sysfields.LISTED if f.summary]
    for key in ("sys/name", "sys/state", *summary, "sys/description"):
        if sys.get(key) not in (None, ""):
            head_rows.append([esc(key), _cell_value(key, sys.get(key))])
    tags = detail.get("tags") or []
    if tags:
        head_rows.append(
            ["sys/tags", " ".join(f'<span class="mlt-tag">{esc(t)}</span>' for t in tags)]
        )
    ck = detail.get("checkpoint")
    if ck:
        head_rows.append(
            ["notebook", f"<code>{esc(ck.get('id'))}</code> {esc(ck.get('notebook_path'))}"]
        )
    metrics, others = [], []
    for f in detail.get("fields") or []:
        if f.get("path") == "sys/tags":
            continue
        if f.get("type") == "float_series":
            metrics.append(
                [
                    esc(f["path"]),
                    number(f.get("last")),
                    number(f.get("min")),
                    number(f.get("max")),
                    number(f.get("count")),
                    number(f.get("last_step")),
                ]
            )
        elif f.get("type") in ("string_series", "file_series"):
            others.append([esc(f["path"]), esc(f"{f.get('type')} ({f.get('count')} entries)")])
        else:
            value = f.get("value")
            if isinstance(value, dict):
                shown = esc(value.get("name") or value.get("sha256") or value)
            elif isinstance(value, list):
                shown = esc(
                    ", ".join(
                        str(x.get("path", x)) if isinstance(x, dict) else str(x) for x in value
                    )
                )
            else:
                shown = number(value)
            others.append([esc(f["path"]), shown])
    parts = [table(["", ""], head_rows)] if head_rows else []
    if metrics:
        parts.append(table(["metric", "last", "min", "max", "points", "last step"], metrics))
    charts = [chart(path, xs, ys) for path, (xs, ys) in series.items()]
    if charts:
        parts.append('<div class="mlt-charts">' + "".join(charts) + "</div>")
    if others:
        parts.append(table(["field", "value"], others))
    return page("".join(parts), f"Run {detail.get('id', '')}")
