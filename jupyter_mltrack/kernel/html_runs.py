"""Inline HTML of runs, for `%mltrack runs` and `%mltrack show` where no lab extension
renders: the runs table, a run's facts and fields, and its charts as inline SVG drawn here from
numbers (html.py says how the page stays inert)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import sysfields
from .html import MAX_ROWS, esc, message, number, page, table, when


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
    # Parameters and metrics first, by each field's kind (the runs table's rule, as the lab's
    # run view and `mltrack show`), then the charts, then everything else.
    params, metrics, others = [], [], []
    for f in detail.get("fields") or []:
        if f.get("path") == "sys/tags":
            continue
        kind = f.get("kind")
        if kind == "metric":
            last = f.get("last", f.get("value"))
            aggregates = [number(f.get(k)) for k in ("min", "max", "count", "last_step")]
            metrics.append([esc(f["path"]), number(last), *aggregates])
        elif kind == "param":
            params.append([esc(f["path"]), _field_value(f)])
        else:
            others.append([esc(f["path"]), _field_value(f)])
    parts = [table(["", ""], head_rows)] if head_rows else []
    if params:
        parts.append(table(["parameter", "value"], params))
    if metrics:
        parts.append(table(["metric", "last", "min", "max", "points", "last step"], metrics))
    charts = [chart(path, xs, ys) for path, (xs, ys) in series.items()]
    if charts:
        parts.append('<div class="mlt-charts">' + "".join(charts) + "</div>")
    if others:
        parts.append(table(["field", "value"], others))
    return page("".join(parts), f"Run {detail.get('id', '')}")


def _field_value(f: dict[str, Any]) -> str:
    if "count" in f:  # a series that is no metric (hardware, console, files)
        return esc(f"{f.get('type')} ({f.get('count')} entries)")
    value = f.get("value")
    if isinstance(value, dict):  # a file: its name
        return esc(value.get("name") or value.get("sha256") or value)
    if isinstance(value, list):  # a set, a file set
        names = (str(x.get("path", x)) if isinstance(x, dict) else str(x) for x in value)
        return esc(", ".join(names))
    return number(value)
