"""Image payloads moved out of cells into blobs of their own, and put back exactly.

Images are most of a notebook's bytes (90 % of a real history's: the corpus of
tests/test_checkpoints_corpus.py). In a cell's chunk, an image barely compresses and is
stored again whenever any cell of its chunk changes; as a blob of its decoded bytes it is
25 % smaller than its base64, stored once, and the same image in the next checkpoint (or in
another encoding) is the same blob. The cell keeps a *ref* in its place:
`[where..., mime, sha, suffix]` plus, when the value was not plain one-line base64, its
*form*, which `render` needs to give back the very same value:

- `{}` (no sixth element: the only form before forms existed): base64 on one line;
- `"w"`: wrapped at that width (older Jupyter and nbconvert wrote 76 columns), the lines
  ending in a newline, or with `"s"` in a backslash and a newline (a JavaScript string
  continued on the next line: matplotlib's HTML animations hold their frames so);
- `"l"`: a list of lines rather than one string (the multi-line JSON form);
- `"t"`: the blob is UTF-8 text, not base64 (SVG);
- `"at"`: an image inside a text value (a `data:image/...;base64,` URI in HTML, as
  matplotlib's nbagg writes): the text keeps everything else and the payload goes back in
  at that character offset.

`suffix` is a trailing newline or "". A value is moved only when its form is proven by
rebuilding it exactly; anything else (uneven wrapping, CRLF, junk) stays in the cell.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BIG_STRING = 1024
# The form of a payload, as its ref records it (see the module docstring).
Form = dict[str, int]
TEXT_MIMES = frozenset({"image/svg+xml"})
# Text values that may hold images as data URIs (only these are searched).
URI_MIMES = frozenset({"text/html", "text/markdown"})
_DATA_URI = re.compile(r"data:(image/[A-Za-z0-9.+-]+);base64,((?:[A-Za-z0-9+/=]|\\\n)+)")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Payload:
    """A payload moved out of its cell: `text` is its value as one string (a list of lines
    joined), `is_text` when its blob is the UTF-8 text itself (SVG), else base64."""

    text: str
    mime: str
    is_text: bool = False

    def decoded(self) -> bytes:
        if self.is_text:
            return self.text.encode("utf-8", "surrogatepass")
        # Not validating: line breaks are skipped, which is how a wrapped payload decodes.
        return base64.b64decode(self.text)


Named = tuple[str, str, tuple[tuple[str, int], ...]]  # (sha, suffix, form as sorted items)


class _Base64Names:
    """payload string -> (sha of its decoded bytes, suffix, form), so a payload seen before
    (the same image in the next checkpoint) costs a lookup, not a decode, re-encode and hash.
    Bounded by the characters it holds.

    Entries are found by a sample of the string and confirmed by comparing it whole: a
    freshly parsed notebook's strings have no hash yet, and hashing 100 images of 50 KB
    costs four times comparing them. Two payloads with the same sample share a slot (the
    later one wins); a miss only costs the decode again."""

    def __init__(self, max_chars: int = 64 * 1024 * 1024) -> None:
        self._items: OrderedDict[tuple[int, str, str], tuple[str, Named]] = OrderedDict()
        self._chars = 0
        self._max = max_chars
        self._lock = threading.Lock()

    @staticmethod
    def _sample(value: str) -> tuple[int, str, str]:
        middle = len(value) // 2
        return len(value), value[middle : middle + 64], value[-64:]

    def get(self, value: str) -> Named | None:
        key = self._sample(value)
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != value:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, value: str, named: Named) -> None:
        key = self._sample(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._chars -= len(old[0])
            self._items[key] = (value, named)
            self._chars += len(value)
            while self._chars > self._max and self._items:
                _key, (evicted, _named) = self._items.popitem(last=False)
                self._chars -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0


NAMES = _Base64Names()


def _wrapped(encoded: str, width: int, sep: str = "\n") -> str:
    return sep.join([encoded[i : i + width] for i in range(0, len(encoded), width)])


def render(data: bytes, suffix: str, form: Form) -> str | list[str]:
    """A payload's value from its blob, its suffix and its form (the inverse of
    `payload_form`)."""
    if form.get("t"):
        text = data.decode("utf-8", "surrogatepass")
    else:
        text = base64.b64encode(data).decode("ascii")
        width = form.get("w")
        if width:
            text = _wrapped(text, width, "\\\n" if form.get("s") else "\n")
    text += suffix
    return text.splitlines(True) if form.get("l") else text


def _string_form(value: str, mime: str) -> Named | None:
    """(sha, suffix, form) of one string payload, proven by rebuilding it exactly."""
    if mime in TEXT_MIMES and value.lstrip().startswith("<"):  # markup, not base64
        return sha256(value.encode("utf-8", "surrogatepass")), "", (("t", 1),)
    first = value.find("\n")
    sep = "\\\n" if first > 0 and value[first - 1] == "\\" else "\n"
    suffix = sep if value.endswith(sep) else ""
    core = value[: -len(suffix)] if suffix else value
    width = core.find(sep)
    compact = core.replace(sep, "") if width > 0 else core
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    encoded = base64.b64encode(raw).decode("ascii")
    if width > 0:
        if _wrapped(encoded, width, sep) != core:
            return None
        return sha256(raw), suffix, (("s", 1), ("w", width)) if sep != "\n" else (("w", width),)
    if encoded != core:
        return None
    return sha256(raw), suffix, ()


def _named(text: str, mime: str) -> Named | None:
    named = NAMES.get(text)
    if named is not None and named[2][:1] == (("t", 1),) and mime not in TEXT_MIMES:
        named = None  # markup seen as an SVG is no payload under another type
    if named is None:
        named = _string_form(text, mime)
        if named is not None:
            NAMES.put(text, named)
    return named


def payload_form(value: Any, mime: str) -> tuple[str, str, Form, str] | None:
    """(sha of the decoded bytes, suffix "" or "\\n", form, the value as one string) when
    `value` is an image payload that `render` gives back exactly; None otherwise (it then
    stays inline in its cell)."""
    as_list = isinstance(value, list)
    if as_list:
        try:
            text = "".join(value)
        except TypeError:
            return None
    elif isinstance(value, str):
        text = value
    else:
        return None
    if len(text) < BIG_STRING or (as_list and text.splitlines(True) != value):
        return None
    named = _named(text, mime)
    if named is None:
        return None
    sha, suffix, items = named
    form = dict(items)
    if as_list:
        form["l"] = 1
    return sha, suffix, form, text


def _strip_uris(
    text: str, where: list[Any], binaries: dict[str, Payload], refs: list[list[Any]]
) -> tuple[str, int]:
    """`text` without its big data-URI images (each becomes an "at" ref, offsets in the
    restored text, in order) and the characters moved."""
    kept: list[str] = []
    start = moved = 0
    for match in _DATA_URI.finditer(text):
        image_mime, payload = match.group(1), match.group(2)
        if len(payload) < BIG_STRING:
            continue
        named = _named(payload, image_mime)
        if named is None:
            continue
        sha, suffix, items = named
        binaries[sha] = Payload(payload, image_mime)
        kept.append(text[start : match.start(2)])
        refs.append([*where, sha, suffix, {**dict(items), "at": match.start(2)}])
        start = match.end(2)
        moved += len(payload)
    if not moved:
        return text, 0
    kept.append(text[start:])
    return "".join(kept), moved


def _strip_bundle(
    bundle: dict[str, Any],
    where: list[Any],
    binaries: dict[str, Payload],
    refs: list[list[Any]],
    *,
    outputs: bool,
) -> tuple[dict[str, Any] | None, int]:
    """A mime bundle (an output's `data`, an attachment) with its image payloads moved to
    `binaries`: the new bundle (None when nothing moved) and the characters moved. In an
    output, text and JSON types are no payloads, but HTML may hold data-URI images."""
    new_bundle: dict[str, Any] | None = None
    moved = 0
    for mime, value in bundle.items():
        if outputs and (mime.startswith("text/") or "json" in mime):
            if mime not in URI_MIMES or not isinstance(value, str) or "data:image/" not in value:
                continue
            kept, n = _strip_uris(value, [*where, mime], binaries, refs)
            if not n:
                continue
            replacement: Any = kept
        else:
            found = payload_form(value, mime)
            if found is None:
                continue
            sha, suffix, form, text = found
            binaries[sha] = Payload(text, mime, bool(form.get("t")))
            refs.append([*where, mime, sha, suffix, form] if form else [*where, mime, sha, suffix])
            n, replacement = len(text), None
        moved += n
        if new_bundle is None:
            new_bundle = dict(bundle)
        new_bundle[mime] = replacement
    return new_bundle, moved


def strip_cell(cell: Any, binaries: dict[str, Payload]) -> tuple[Any, int]:
    """The cell's unit object, with image payloads replaced by refs; returns it and the
    characters moved out.

    A unit is the cell itself when it is an object with a `cell_type` (every valid cell)
    and no payload moved; anything else is wrapped, `{"cell": ..., "refs": [...]}`, which
    has no `cell_type`: so an invalid cell that Jupyter still opens is stored exactly too."""
    if not isinstance(cell, dict):
        return {"cell": cell, "refs": []}, 0
    refs: list[list[Any]] = []
    moved = 0
    outputs = cell.get("outputs")
    new_outputs: list[Any] | None = None
    if isinstance(outputs, list):
        for i, out in enumerate(outputs):
            data = out.get("data") if isinstance(out, dict) else None
            if not isinstance(data, dict):
                continue
            new_data, n = _strip_bundle(data, ["o", i], binaries, refs, outputs=True)
            moved += n
            if new_data is not None:
                if new_outputs is None:
                    new_outputs = list(outputs)
                new_outputs[i] = {**out, "data": new_data}
    attachments = cell.get("attachments")
    new_att: dict[str, Any] | None = None
    if isinstance(attachments, dict):
        for name, bundle in attachments.items():
            if not isinstance(bundle, dict):
                continue
            new_bundle, n = _strip_bundle(bundle, ["a", name], binaries, refs, outputs=False)
            moved += n
            if new_bundle is not None:
                if new_att is None:
                    new_att = dict(attachments)
                new_att[name] = new_bundle
    if not refs:
        return (cell, 0) if "cell_type" in cell else ({"cell": cell, "refs": []}, 0)
    stripped = dict(cell)
    if new_outputs is not None:
        stripped["outputs"] = new_outputs
    if new_att is not None:
        stripped["attachments"] = new_att
    # A wrapper has no "cell_type" key, which every plain unit has: unambiguous on read.
    return {"cell": stripped, "refs": refs}, moved


def restore_cell(cell: Any, refs: list[list[Any]], get: Callable[[str], bytes]) -> Any:
    """Put the payloads of `refs` back into `cell` (in place), reading blobs with `get`."""
    for ref in refs:
        kind, key, mime, sha, suffix = ref[:5]
        form: Form = ref[5] if len(ref) > 5 else {}
        bundle = cell["outputs"][key]["data"] if kind == "o" else cell["attachments"][key]
        value = render(get(sha), suffix, form)
        at = form.get("at")
        if at is not None:  # refs of one text come in order: the text before is final
            text = bundle[mime]
            bundle[mime] = text[:at] + str(value) + text[at:]
        else:
            bundle[mime] = value
    return cell
