"""What the CLI writes to a terminal: never a control sequence taken from the store.

Names, descriptions, field paths and values come from whoever wrote to a (possibly shared)
store. Printed raw, `\\x1b]52;c;...\\x07` would set the reader's clipboard, other escape
sequences can rewrite the screen or the window title, and U+202E turns text around. So:

- `escape(text)` shows every character that is not printable as an escape: C0 controls as
  `\\x1b`, anything else (DEL, the C1 controls U+0080-U+009F, bidi overrides and the other
  format characters, line/paragraph separators, lone surrogates) as `\\uXXXX`, astral ones as
  a JSON-style surrogate pair. Inside a JSON string that is a valid JSON escape, so `--json`
  output and `export` to stdout stay valid JSON that reads back equal.
- `escaped_output()` (entered once by `cli.main`) puts an `EscapingStream` over stdout and
  stderr: whatever any command prints goes through `escape`, keeping only the newline, so no
  command can forget. Values read from the store go through `escape` on their own as well
  (`runs.cell`, `runs.print_table`, a line built from values), so a newline inside a value
  shows as `\\x0a` instead of starting a line.

The one raw write is `raw_write` (the progress bar's carriage return on a terminal).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

# Unicode categories Cc, Cf, Cs, Zl and Zp (Unicode 15.1; tests/security/test_injection.py
# checks this against the running Python's unicodedata): controls, format characters (bidi
# overrides, zero-width characters, tag characters), surrogates, line/paragraph separators.
# Built by hand because scanning all of Unicode at start-up takes ~0.5 s.
_UNPRINTABLE_ABOVE_C0 = (
    "\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_ALL = re.compile(f"[\x00-\x1f{_UNPRINTABLE_ABOVE_C0}]")
_ALL_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_UNPRINTABLE_ABOVE_C0}]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every unprintable character shown as an escape (see the module doc)."""
    pattern = _ALL_BUT_NEWLINE if keep_newlines else _ALL
    return pattern.sub(_escape_char, text)


class EscapingStream(io.TextIOBase):
    """A text stream that escapes what is written to it (newlines kept) before passing it on."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, s: str) -> int:
        self.raw.write(escape(s, keep_newlines=True))
        return len(s)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.raw, "encoding", None) or "utf-8")


@contextlib.contextmanager
def escaped_output() -> Iterator[None]:
    """stdout and stderr escaped for as long as the block runs (the whole of `cli.main`)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = EscapingStream(saved[0])  # type: ignore[assignment]
    sys.stderr = EscapingStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = saved


def raw_write(stream: Any, text: str) -> None:
    """Write CLI-made control text (a progress bar's `\\r`) past the escaping."""
    getattr(stream, "raw", stream).write(text)
