"""The text/plain twin of the magics' HTML (html.py), for frontends that show text: plain
IPython in a terminal, a notebook's text view, logs. Every `%mltrack` output carries both
(`bundle`), so each frontend picks what it renders best.

The text is made from the HTML itself, so the two always say the same: tables become columns
padded to their widest cell, left-aligned, multi-line cells (a diff's source and outputs)
side by side with a ` | ` between columns and a rule between rows (their long lines wrap at
MAX_COLUMN); a chart is named by its
title, an image by its alt text, the style element is dropped. Only the small set of tags
html.py writes is known; any other tag's text is kept.
"""

from __future__ import annotations

from html.parser import HTMLParser

MAX_COLUMN = 72  # characters of a column before its lines wrap
_BLOCKS = {"div", "p", "pre", "table", "h1", "h2", "h3", "h4"}


def bundle(markup: str) -> dict[str, str]:
    """What `display(..., raw=True)` takes: the HTML and its text, both mime types."""
    return {"text/html": markup, "text/plain": text(markup)}


def text(markup: str) -> str:
    """The text of one html.py fragment (see the module doc)."""
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    return "\n".join(parser.root.finish()).strip("\n")


class _Doc:
    """Lines being written: the last one is open; blocks start on a fresh line."""

    def __init__(self) -> None:
        self.lines: list[str] = [""]

    def add(self, s: str) -> None:
        self.lines[-1] += s

    def block(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")
        else:
            self.lines[-1] = ""

    def add_lines(self, lines: list[str]) -> None:
        self.block()
        self.lines[-1:] = [*lines, ""]

    def finish(self) -> list[str]:
        out = [line.rstrip() for line in self.lines]
        while out and not out[-1]:
            out.pop()
        return out


class _Table:
    def __init__(self) -> None:
        self.rows: list[list[list[str]]] = []
        self.header = False  # the first row is headers (th)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Doc()
        self.docs: list[_Doc] = [self.root]
        self.tables: list[_Table] = []
        self.pre = 0
        self.skip = 0  # inside <style>
        self.svg: list[str] | None = None  # the <text> of a chart being read

    @property
    def doc(self) -> _Doc:
        return self.docs[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self.skip += 1
        elif tag == "svg":
            self.svg = []
        elif self.svg is not None:
            return
        elif tag == "pre":
            self.doc.block()
            self.pre += 1
        elif tag in _BLOCKS - {"table"}:
            self.doc.block()
        elif tag == "br":
            self.doc.lines.append("")
        elif tag == "img":
            self.doc.add(f"[{dict(attrs).get('alt') or 'image'}]")
        elif tag == "table":
            self.tables.append(_Table())
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
        elif tag in ("td", "th") and self.tables:
            if tag == "th" and len(self.tables[-1].rows) == 1:
                self.tables[-1].header = True
            self.docs.append(_Doc())

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.skip = max(0, self.skip - 1)
        elif tag == "svg" and self.svg is not None:
            title = self.svg[0] if self.svg else ""
            self.svg = None
            self.doc.add(f"[chart: {title}] " if title else "[chart] ")
        elif self.svg is not None:
            return
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.doc.block()
        elif tag in _BLOCKS - {"table"}:
            self.doc.block()
        elif tag in ("td", "th") and self.tables and len(self.docs) > 1:
            cell = self.docs.pop().finish()
            table = self.tables[-1]
            if not table.rows:
                table.rows.append([])
            table.rows[-1].append(cell)
        elif tag == "table" and self.tables:
            self.doc.add_lines(_layout(self.tables.pop()))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.svg is not None:
            if data.strip():
                self.svg.append(" ".join(data.split()))
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.doc.add(first)
            self.doc.lines.extend(rest)
            return
        words = " ".join(data.split())
        if not words:
            if data and self.doc.lines[-1] and not self.doc.lines[-1].endswith(" "):
                self.doc.add(" ")
            return
        line = self.doc.lines[-1]
        lead = " " if data[0].isspace() and line and not line.endswith(" ") else ""
        tail = " " if data[-1].isspace() else ""
        self.doc.add(lead + words + tail)


def _wrap(line: str, width: int) -> list[str]:
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def _layout(table: _Table) -> list[str]:
    """Columns padded to their widest line. In a table of multi-line cells (a diff) a line
    longer than MAX_COLUMN wraps, so both sides stay in view; one-line tables (status,
    history, runs) keep each value whole on its line."""
    rows = [row for row in table.rows if row]
    if not rows:
        return []
    columns = max(len(r) for r in rows)
    tall = any(len(cell) > 1 for r in rows for cell in r)
    width = MAX_COLUMN if tall else 1 << 30
    cells: list[list[list[str]]] = [
        [
            [part for line in (r[c] if c < len(r) else []) for part in _wrap(line, width)]
            for c in range(columns)
        ]
        for r in rows
    ]
    header = table.header
    if header and not any(line for cell in cells[0] for line in cell):
        cells, header = cells[1:], False  # headers all empty: no header line
    widths = [max((len(line) for r in cells for line in r[c]), default=0) for c in range(columns)]
    gap = " | " if tall else "  "
    rule = ("-+-" if tall else "  ").join("-" * w for w in widths)
    out: list[str] = []
    for k, r in enumerate(cells):
        if tall and k > (1 if header else 0):  # the header's rule is there already
            out.append(rule)
        for i in range(max((len(cell) for cell in r), default=0) or 1):
            out.append(
                gap.join(
                    (cell[i] if i < len(cell) else "").ljust(w)
                    for cell, w in zip(r, widths, strict=True)
                ).rstrip()
            )
        if header and k == 0:
            out.append(rule)
    return out
