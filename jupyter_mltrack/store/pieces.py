"""Where a blob is cut into pieces, and how a piece or a blob is encoded in a pack.

Measured on the corpus of real notebook histories (bench/corpus_bench.py): a figure
re-rendered with the same pixels gets a new header (matplotlib writes its version and the
dpi before the image data), so a PNG cut before its first IDAT chunk shares its image data
with the earlier rendering: 15 % of the corpus's image bytes. Content-defined cuts in big
blobs do the same for other files (an upload written again with a few bytes changed).
"""

from __future__ import annotations

import itertools
import re
import zlib

from .packfile import RAW, ZLIB

SPLIT_FROM = 8 << 10  # smaller blobs are never cut
# Below this size zlib's framing costs more than it saves; above it, compress only if it
# saves at least 10 %.
_MIN_COMPRESS = 128
_PNG = b"\x89PNG\r\n\x1a\n"
# Content-defined cuts for big blobs: after a byte pair that occurs about once per 64 KiB in
# compressed data. The cuts depend on the bytes around them only, so bytes inserted early in
# a file move the cuts with them and the pieces after are found again.
_CUT = re.compile(rb"\x5a\x00")
_CDC_FROM = 256 << 10
_MIN_PIECE, _MAX_PIECE = 16 << 10, 1 << 20


def _png_data_start(data: bytes) -> int:
    """Offset of a PNG's first IDAT chunk (0 when not a PNG or none is found)."""
    if not data.startswith(_PNG):
        return 0
    pos = len(_PNG)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            return pos
        pos += 12 + length
    return 0


def pieces(data: bytes) -> list[bytes]:
    """Where a blob is cut: a PNG before its image data, anything of `_CDC_FROM` bytes or
    more at content-defined points too. One piece means no cut."""
    if len(data) < SPLIT_FROM:
        return [data]
    cuts = []
    head = _png_data_start(data)
    if 0 < head < len(data) - 1024:
        cuts.append(head)
    if len(data) >= _CDC_FROM:
        last = head
        for m in _CUT.finditer(data, head + _MIN_PIECE):
            if m.end() - last >= _MIN_PIECE:
                while m.end() - last > _MAX_PIECE:
                    last += _MAX_PIECE
                    cuts.append(last)
                cuts.append(m.end())
                last = m.end()
        while len(data) - last > _MAX_PIECE:
            last += _MAX_PIECE
            cuts.append(last)
    if not cuts:
        return [data]
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def encoded(data: bytes) -> tuple[int, bytes]:
    """(encoding, payload): zlib when it saves 10 %. A big blob whose first 4 KiB do not
    compress (a PNG, an archive) is not compressed whole just to find out."""
    if len(data) < _MIN_COMPRESS:
        return RAW, data
    if len(data) > 2048 and len(zlib.compress(data[:1024], 1)) > 1024 * 0.9:
        return RAW, data
    packed = zlib.compress(data, 6)
    if len(packed) < len(data) * 0.9:
        return ZLIB, packed
    return RAW, data
