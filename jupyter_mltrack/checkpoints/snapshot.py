"""A notebook as content-addressed pieces, and back (pure over dicts; I/O through a Blobs).

Why this shape (measured in bench/bench_checkpoints.py):
- Every cell becomes one *unit*: its canonical JSON (sorted keys, compact) with outputs
  included, except large image payloads (outputs, attachments, data URIs in HTML), which
  `payloads` moves into blobs of their decoded bytes, leaving refs that restore them exactly
  in whatever encoding they had (wrapped base64, lists of lines, SVG text...).
- Units are grouped into *chunks* with content-defined boundaries (a unit ends a chunk when
  its CRC is 0 modulo `CHUNK_CELLS`), so editing one cell rewrites one chunk of about
  `CHUNK_CELLS` cells, never the notebook, and every other chunk keeps its name. A chunk is
  one blob: small cells compress together (zlib in the blob store), and a 1,000-cell notebook
  is about a hundred files instead of thousands.
- The *manifest* names the chunks in order plus the notebook metadata blob. A child's
  manifest is usually a delta against its parent's (the chunk-list edits), with a full
  manifest every `FULL_EVERY` checkpoints so reading one never walks a long chain.

Over 400 lines on purpose: the split, the chunk format, the manifest chain and the stored
plan are one encoding (they share `canonical`, the chunk header and dictionary, and the
caches that make reading a chain cheap), and a change to one is a change to all; image
payloads, which are independent of it, already live in `payloads.py`.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from ..errors import CorruptBlob, InvalidNotebook
from ..store.blob_api import Blobs
from . import payloads
from .payloads import Payload as Payload
from .payloads import sha256 as sha256

CHUNK_CELLS = 4
MAX_CHUNK_BYTES = 256 * 1024
FULL_EVERY = 100
MANIFEST_VERSION = 1
MANIFEST_MIME = "application/x-mltrack-manifest"
# Chunks are a few KB: deflate alone barely learns their structure before they end, so they
# are compressed against a preset dictionary of notebook JSON (about 30 % smaller). The
# header names the dictionary; a new dictionary needs a new header, never an edit of this one.
CHUNK_HEADER = b"MLC1"
CHUNK_DICT = (
    b'{"cell_type":"markdown","id":"","metadata":{},"source":"# '
    b'{"cell_type":"raw","id":"","metadata":{},"source":""}'
    b'{"data":{"text/html":"<div>\\n<table border=\\"1\\" class=\\"dataframe\\">\\n",'
    b'"text/plain":""},"execution_count":2,"metadata":{},"output_type":"execute_result"}'
    b'{"ename":"","evalue":"","output_type":"error","traceback":["\\u001b[0;31m'
    b'{"cell":{"cell_type":"code","execution_count":3,"id":"","metadata":{},"outputs":['
    b'{"data":{"image/png":null,"text/plain":"<Figure size 640x480 with 1 Axes>"},'
    b'"metadata":{},"output_type":"display_data"}],"refs":[["o",1,"image/png","",""]]}'
    b'{"cell_type":"code","execution_count":4,"id":"","metadata":{"tags":[]},"outputs":'
    b'[{"name":"stderr","output_type":"stream","text":""},'
    b'{"name":"stdout","output_type":"stream","text":"result 0."}],"source":"import numpy as np'
    b"\\nimport pandas as pd\\nfrom matplotlib import pyplot as plt\\nprint(f'result {x_"
)


def canonical(obj: Any) -> bytes:
    """Canonical JSON: equal values give equal bytes, so equal cells share one hash."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# Between the objects `canonical_each` encodes in one go: a string no cell holds in practice,
# and when one does, `canonical_each` notices and encodes object by object.
_SEPARATOR = "\x00mltrack:unit\x00"
_SPLIT_AT = b"," + canonical(_SEPARATOR) + b","


def canonical_each(objs: list[dict[str, Any]]) -> list[bytes]:
    """`[canonical(o) for o in objs]`, with one encoder call instead of one per object
    (json.dumps builds a new encoder each call: half the cost of a notebook's small cells).

    The objects are encoded as one list with a separator string between them, and the result
    is split at the separators. Each object encodes as `{...}` and the separator holds no
    brace, so no match can straddle an object's edge: the parts are exact unless an object
    itself contains the separator, which the count of parts shows.
    """
    if len(objs) < 2:
        return [canonical(o) for o in objs]
    interleaved: list[Any] = [_SEPARATOR] * (2 * len(objs) - 1)
    interleaved[::2] = objs
    parts = canonical(interleaved)[1:-1].split(_SPLIT_AT)
    if len(parts) != len(objs):
        return [canonical(o) for o in objs]
    return parts


# -- cells <-> units ------------------------------------------------------------------------
@dataclass
class Split:
    """A notebook cut into pieces, ready to store."""

    units: list[bytes]
    binaries: dict[str, Payload]  # sha -> the payload, decoded on write
    metadata: bytes
    nbformat: int
    nbformat_minor: int
    size: int  # bytes of the canonical notebook JSON, base64 included
    # nbformat's message when the notebook is invalid but opens in Jupyter (stored on the
    # checkpoint so the lab can warn); set by `files.parse`, which validated it.
    validation_warning: str | None = None


TOP_LEVEL = frozenset({"cells", "metadata", "nbformat", "nbformat_minor"})


def _regular(nb: dict[str, Any]) -> bool:
    """Whether the top level is the four keys of a v4 notebook, of the usual types."""
    return (
        nb.keys() == TOP_LEVEL
        and isinstance(nb["cells"], list)
        and isinstance(nb["metadata"], dict)
        and type(nb["nbformat"]) is int
        and type(nb["nbformat_minor"]) is int
    )


def split_notebook(nb: dict[str, Any]) -> Split:
    """Cut a notebook (a JSON object, valid or not) into units and payloads, exactly.

    The metadata blob is the notebook's metadata object; when the top level is not the
    usual four keys (an invalid notebook Jupyter still opens: an extra key, metadata that
    is no object...), it is instead a one-element list holding the whole top level but a
    list of cells, and `load_notebook` tells the two apart by the JSON type.
    """
    if not isinstance(nb, dict):
        raise InvalidNotebook("a notebook is a JSON object")
    regular = _regular(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        cells = []
    binaries: dict[str, Payload] = {}
    stripped_cells = []
    size = 0
    for cell in cells:
        stripped, moved = payloads.strip_cell(cell, binaries)
        stripped_cells.append(stripped)
        size += moved
    units = canonical_each(stripped_cells)
    size += sum(map(len, units))
    if regular:
        metadata = canonical(nb["metadata"])
    else:
        top = {k: v for k, v in nb.items() if k != "cells" or not isinstance(v, list)}
        metadata = canonical([top])
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor")
    return Split(
        units=units,
        binaries=binaries,
        metadata=metadata,
        nbformat=major if type(major) is int else 0,
        nbformat_minor=minor if type(minor) is int else 0,
        size=size + len(metadata),
    )


def chunk_units(units: list[bytes]) -> list[bytes]:
    """Content-defined grouping: boundaries depend on the units alone, not on positions."""
    chunks: list[bytes] = []
    current: list[bytes] = []
    current_bytes = 0
    for unit in units:
        current.append(unit)
        current_bytes += len(unit) + 1
        if zlib.crc32(unit) % CHUNK_CELLS == 0 or current_bytes >= MAX_CHUNK_BYTES:
            chunks.append(b"\n".join(current))
            current, current_bytes = [], 0
    if current:
        chunks.append(b"\n".join(current))
    return chunks


def _restore_unit(unit: Any, blobs: Blobs) -> Any:
    if "cell_type" in unit:
        return unit
    return payloads.restore_cell(unit["cell"], unit["refs"], blobs.get)


# -- manifests --------------------------------------------------------------------------------
ChunkRef = tuple[str, int]  # (sha, number of cells)


@dataclass
class Manifest:
    """A resolved manifest: the full chunk list, whatever was stored."""

    sha: str
    nbformat: int
    nbformat_minor: int
    metadata: str
    chunks: list[ChunkRef]
    depth: int = 0
    chain: tuple[str, ...] = ()  # this manifest and the bases it is a delta against


def encode_manifest(
    nbformat: int,
    nbformat_minor: int,
    metadata: str,
    chunks: list[ChunkRef],
    parent: Manifest | None,
) -> tuple[bytes, int]:
    """Bytes to store and the chain depth: a delta against `parent` when that is smaller."""
    head = {
        "v": MANIFEST_VERSION,
        "nbformat": nbformat,
        "nbformat_minor": nbformat_minor,
        "metadata": metadata,
    }
    full = canonical({**head, "chunks": chunks})
    if parent is None or parent.depth + 1 >= FULL_EVERY:
        return full, 0
    old = [c[0] for c in parent.chunks]
    new = [c[0] for c in chunks]
    edits = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append([i1, i2 - i1, [list(c) for c in chunks[j1:j2]]])
    delta = canonical({**head, "base": parent.sha, "depth": parent.depth + 1, "edits": edits})
    if len(delta) * 2 > len(full):
        return full, 0
    return delta, parent.depth + 1


class ManifestCache:
    """Resolved manifests by sha. Manifests never change, so caching is always correct."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[tuple[str, str], Manifest] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, blobs: Blobs, sha: str) -> Manifest:
        key = (blobs.location, sha)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        found = self._resolve(blobs, sha)
        self.put(blobs, found)
        return found

    def put(self, blobs: Blobs, manifest: Manifest) -> None:
        if not manifest.chain:
            manifest.chain = (manifest.sha,)
        with self._lock:
            self._items[(blobs.location, manifest.sha)] = manifest
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def _resolve(self, blobs: Blobs, sha: str) -> Manifest:
        try:
            doc = json.loads(blobs.get(sha))
        except ValueError:
            raise CorruptBlob(f"manifest {sha} is not JSON") from None
        if doc.get("v") != MANIFEST_VERSION:
            raise CorruptBlob(f"manifest {sha} has unknown version {doc.get('v')!r}")
        chain: tuple[str, ...] = (sha,)
        if "chunks" in doc:
            chunks = [(c[0], int(c[1])) for c in doc["chunks"]]
            depth = 0
        else:
            base = self.get(blobs, doc["base"])
            chain = (sha, *base.chain)
            chunks = list(base.chunks)
            # Edits were computed front to back against the base: apply back to front.
            for start, removed, added in reversed(doc["edits"]):
                chunks[start : start + removed] = [(c[0], int(c[1])) for c in added]
            depth = int(doc["depth"])
        return Manifest(
            sha,
            int(doc["nbformat"]),
            int(doc["nbformat_minor"]),
            doc["metadata"],
            chunks,
            depth,
            chain,
        )


MANIFESTS = ManifestCache()


def _read_units(blobs: Blobs, manifest: Manifest) -> list[bytes]:
    units: list[bytes] = []
    for sha, count in manifest.chunks:
        lines = unpack_chunk(blobs.get(sha), sha).split(b"\n")
        if len(lines) != count:
            raise CorruptBlob(f"chunk {sha} holds {len(lines)} cells, its manifest says {count}")
        units.extend(lines)
    return units


class _UnitsCache:
    """manifest sha -> its units (immutable bytes): the parent of the next checkpoint is
    almost always the last one this process wrote, so counting changes reads nothing."""

    def __init__(self, size: int = 16) -> None:
        self._items: OrderedDict[tuple[str, str], list[bytes]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, blobs: Blobs, manifest: Manifest) -> list[bytes]:
        key = (blobs.location, manifest.sha)
        with self._lock:
            hit = self._items.get(key)
        if hit is None:
            hit = _read_units(blobs, manifest)
            self.put(blobs, manifest.sha, hit)
        return hit

    def put(self, blobs: Blobs, sha: str, units: list[bytes]) -> None:
        with self._lock:
            self._items[(blobs.location, sha)] = units
            while len(self._items) > self._size:
                self._items.popitem(last=False)


UNITS = _UnitsCache()


def _unwrap(unit: bytes) -> dict[str, Any]:
    cell = json.loads(unit)
    return cell if "cell_type" in cell else cell["cell"]  # type: ignore[no-any-return]


def count_unit_changes(old: list[bytes], new: list[bytes]) -> tuple[int, int, int, int]:
    """(added, removed, modified, moved) cells, as the diff's summary counts them (a moved
    cell, edited or not, is neither added nor removed). Equal units are equal cells, so only
    the regions that differ are parsed and aligned like the diff does. A move is one cell
    removed here and added there, often in two regions (cut at the top, pasted at the
    bottom): when cells were both removed and added, the whole notebook is counted as the
    diff counts it (alignment and move search over every cell), so the two agree."""
    from .nbdiff import count_changes

    added = removed = modified = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        a, r, m, mv = count_changes(
            [_unwrap(u) for u in old[i1:i2]], [_unwrap(u) for u in new[j1:j2]]
        )
        added, removed, modified = added + a + mv, removed + r + mv, modified + m
    if added and removed:
        return count_changes([_unwrap(u) for u in old], [_unwrap(u) for u in new])
    return added, removed, modified, 0


def load_notebook(blobs: Blobs, manifest: Manifest) -> dict[str, Any]:
    """The notebook exactly as it was captured."""
    cells = [_restore_unit(json.loads(u), blobs) for u in UNITS.get(blobs, manifest)]
    metadata = json.loads(blobs.get(manifest.metadata))
    if isinstance(metadata, list):  # an irregular top level (see `split_notebook`)
        top: dict[str, Any] = metadata[0]
        return {"cells": cells, **top}
    return {
        "cells": cells,
        "metadata": metadata,
        "nbformat": manifest.nbformat,
        "nbformat_minor": manifest.nbformat_minor,
    }


@dataclass
class Plan:
    """A split notebook cut into named chunks, before anything is written."""

    split: Split
    chunks: list[tuple[str, bytes, int]]  # (sha, packed bytes, cells)
    metadata_sha: str
    content_sha: str  # names the content: equal notebooks, equal content_sha


def content_sha(nbformat: int, minor: int, metadata_sha: str, chunks: list[ChunkRef]) -> str:
    return sha256(canonical([nbformat, minor, metadata_sha, [list(c) for c in chunks]]))


class _Packed:
    """raw chunk sha -> packed bytes and their sha, so unchanged chunks are not recompressed."""

    def __init__(self, size: int = 50_000) -> None:
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def pack(self, raw: bytes) -> tuple[str, str, bytes]:
        raw_sha = sha256(raw)
        with self._lock:
            hit = self._items.get(raw_sha)
        if hit is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, CHUNK_DICT)
            packed = CHUNK_HEADER + comp.compress(raw) + comp.flush()
            hit = (sha256(packed), packed)
            with self._lock:
                self._items[raw_sha] = hit
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return raw_sha, hit[0], hit[1]


_PACKED = _Packed()


def unpack_chunk(data: bytes, sha: str) -> bytes:
    if not data.startswith(CHUNK_HEADER):
        raise CorruptBlob(f"chunk {sha} has an unknown header")
    try:
        d = zlib.decompressobj(-15, CHUNK_DICT)
        return d.decompress(data[len(CHUNK_HEADER) :]) + d.flush()
    except zlib.error:
        raise CorruptBlob(f"chunk {sha} is corrupt (bad compressed stream)") from None


def plan(split: Split) -> Plan:
    """Name every chunk; the content hash is over raw chunks, independent of compression."""
    chunks = []
    raw_shas = []
    for raw in chunk_units(split.units):
        raw_sha, sha, packed = _PACKED.pack(raw)
        chunks.append((sha, packed, raw.count(b"\n") + 1))
        raw_shas.append((raw_sha, chunks[-1][2]))
    meta_sha = sha256(split.metadata)
    return Plan(
        split,
        chunks,
        meta_sha,
        content_sha(split.nbformat, split.nbformat_minor, meta_sha, raw_shas),
    )


@dataclass
class Stored:
    """What `store_plan` wrote: the resolved manifest and the blobs to register."""

    manifest: Manifest
    new_blobs: list[tuple[str, int, str]]  # (sha, size, mime) of blobs not there before


def store_plan(blobs: Blobs, p: Plan, parent: Manifest | None) -> Stored:
    """Write the pieces that are not stored yet, then the manifest (a delta when it pays)."""
    new: list[tuple[str, int, str]] = []
    split = p.split
    for sha, payload in split.binaries.items():
        # Images are registered (with their type) like any uploaded file; chunks and the
        # metadata blob are internal and reached through manifests only, which saves a row
        # (about 180 bytes with its index) per chunk.
        if not blobs.exists(sha):
            raw = payload.decoded()
            blobs.put(raw, sha)
            new.append((sha, len(raw), payload.mime))
    # The parent's chunks are stored (its manifest keeps them from gc): no need to look.
    known = {sha for sha, _n in parent.chunks} if parent is not None else set()
    pending = [(sha, data) for sha, data, _n in p.chunks if sha not in known]
    pending.append((p.metadata_sha, split.metadata))
    # What is stored already is skipped; the rest is one pack append on a folder and
    # concurrent uploads on S3 (a request each, so one at a time would add their latencies).
    blobs.put_many(pending)
    chunks: list[ChunkRef] = [(sha, n) for sha, _data, n in p.chunks]
    data, depth = encode_manifest(
        split.nbformat, split.nbformat_minor, p.metadata_sha, chunks, parent
    )
    manifest_sha = sha256(data)
    if not blobs.exists(manifest_sha):
        blobs.put(data, manifest_sha)
    # The manifest row is always (re)registered: checkpoints.manifest_sha references it.
    new.append((manifest_sha, len(data), MANIFEST_MIME))
    chain = (manifest_sha, *parent.chain) if depth and parent else (manifest_sha,)
    manifest = Manifest(
        manifest_sha, split.nbformat, split.nbformat_minor, p.metadata_sha, chunks, depth, chain
    )
    MANIFESTS.put(blobs, manifest)
    UNITS.put(blobs, manifest_sha, split.units)
    return Stored(manifest, new)


def referenced_blobs(blobs: Blobs, manifest_shas: set[str]) -> set[str]:
    """Every blob the given manifests need: the manifests, their bases, chunks, metadata and
    binary payloads. Used by `mltrack gc`."""
    seen: set[str] = set()
    chunk_seen: set[str] = set()
    for sha in manifest_shas:
        m = MANIFESTS.get(blobs, sha)
        seen.update(m.chain)
        seen.add(m.metadata)
        for csha, _n in m.chunks:
            if csha in chunk_seen:
                continue
            chunk_seen.add(csha)
            for line in unpack_chunk(blobs.get(csha), csha).split(b"\n"):
                if b'"refs"' in line:
                    unit = json.loads(line)
                    if "cell_type" not in unit:
                        seen.update(ref[3] for ref in unit.get("refs", []))
    return seen | chunk_seen


def clear_caches() -> None:
    """Forget every in-process cache (a fresh process reads everything from the store)."""
    for cache in (MANIFESTS, UNITS, _PACKED):
        with cache._lock:
            cache._items.clear()
    payloads.NAMES.clear()
