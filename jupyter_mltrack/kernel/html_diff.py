"""Inline HTML of notebook cells, their outputs and the diff of two notebooks, for
`%mltrack diff` where no lab extension renders (html.py says how the page stays inert).

Images from outputs are shown through `<img src="data:...">` only after their base64 has been
checked, and SVG outputs go through `<img>` too, where a browser never runs their scripts.
"""

from __future__ import annotations

import re
from typing import Any

from .html import esc, page, table

MAX_TEXT = 20_000  # characters of one text output shown before "... N more"
_B64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


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
