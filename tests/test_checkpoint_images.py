"""Image payloads leave the cells in every encoding real notebooks carry (snapshot.py).

Each encoding must be stored once, as the decoded bytes in a content-addressed blob (so the
chunk holding its cell stays small and the same image is one blob whatever its encoding),
and restored as exactly the value it was: the same string, or the same list of lines. What
no known form reproduces stays inline, and still round-trips.
"""

from __future__ import annotations

import base64
import copy
import json
import random
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from jupyter_mltrack.checkpoints import service, snapshot
from jupyter_mltrack.store.blobs import BlobStore
from jupyter_mltrack.store.engine import Store

SIGNATURES = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a",
}


def image(mime: str, seed: int, size: int = 3000) -> bytes:
    return SIGNATURES[mime] + random.Random(seed).randbytes(size)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


SVG = (
    '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<svg xmlns="http://www.w3.org/2000'
    '/svg" width="460" height="345">\n'
    + "".join(
        f' <path d="M {i} {i * 2} L {i + 9} {i * 3}" style="fill: #1f77b4"/>\n' for i in range(60)
    )
    + " <text>\u00e9t\u00e9 \U0001f600</text>\n</svg>\n"
)

# encoding name -> (mime, the value as stored in the notebook, the decoded blob bytes)
RAW = image("image/png", 1)
ENCODINGS: dict[str, tuple[str, Any, bytes]] = {
    "unwrapped": ("image/png", b64(RAW), RAW),
    "unwrapped, trailing newline": ("image/png", b64(RAW) + "\n", RAW),
    "wrapped at 76, trailing newline": ("image/png", wrap(b64(RAW), 76) + "\n", RAW),
    "wrapped at 76": ("image/png", wrap(b64(RAW), 76), RAW),
    "wrapped at 64": ("image/png", wrap(b64(RAW), 64) + "\n", RAW),
    # 4,000 characters: the last line is a whole one, there is no short line at the end.
    "wrapped at 100, last line full": ("image/png", wrap(b64(RAW[:2999]), 100) + "\n", RAW[:2999]),
    "list of 76-column lines": (
        "image/png",
        (wrap(b64(RAW), 76) + "\n").splitlines(True),
        RAW,
    ),
    "list of one line": ("image/png", [b64(RAW)], RAW),
    "jpeg wrapped": (
        "image/jpeg",
        wrap(b64(image("image/jpeg", 2)), 76) + "\n",
        image("image/jpeg", 2),
    ),
    "jpeg unwrapped": ("image/jpeg", b64(image("image/jpeg", 3)), image("image/jpeg", 3)),
    "gif wrapped": (
        "image/gif",
        wrap(b64(image("image/gif", 4)), 76) + "\n",
        image("image/gif", 4),
    ),
    "gif unwrapped": ("image/gif", b64(image("image/gif", 5)) + "\n", image("image/gif", 5)),
    "svg text": ("image/svg+xml", SVG, SVG.encode("utf-8", "surrogatepass")),
    "svg list of lines": (
        "image/svg+xml",
        SVG.splitlines(True),
        SVG.encode("utf-8", "surrogatepass"),
    ),
}

# Values that look like payloads but that no form reproduces: they stay in the cell.
WRAPPED = wrap(b64(RAW), 76)
INLINE: dict[str, tuple[str, Any]] = {
    "uneven line lengths": ("image/png", WRAPPED[:76] + WRAPPED[77:137] + "\n" + WRAPPED[137:]),
    "CRLF line breaks": ("image/png", WRAPPED.replace("\n", "\r\n")),
    "two trailing newlines": ("image/png", WRAPPED + "\n\n"),
    "not base64": ("image/png", "@" * 2000),
    "unpadded base64": ("image/png", b64(RAW[:2998]).rstrip("=")),
    "markup under a raster type": ("image/png", SVG),
    "list not split at lines": ("image/png", [b64(RAW)[:2000], b64(RAW)[2000:]]),
}


def cell_with(mime: str, value: Any, *, attachment: bool = False) -> dict[str, Any]:
    if attachment:
        cell = new_markdown_cell("![a](attachment:a)")
        cell.attachments = {"a": {mime: value}}
        return dict(cell)
    cell = new_code_cell("plot()", execution_count=1)
    cell.outputs = [
        new_output("display_data", data={mime: value, "text/plain": "<Figure>"}, metadata={})
    ]
    return dict(cell)


def round_trip(tmp_path: Path, nb: dict[str, Any]) -> tuple[dict[str, Any], snapshot.Split]:
    """Store the notebook's pieces in a blob store and load it back (no database)."""
    blobs = BlobStore(tmp_path / "blobs")
    split = snapshot.split_notebook(copy.deepcopy(nb))
    stored = snapshot.store_plan(blobs, snapshot.plan(split), None)
    snapshot.clear_caches()  # read back from the blobs, not from what was just written
    manifest = snapshot.MANIFESTS.get(blobs, stored.manifest.sha)
    return snapshot.load_notebook(blobs, manifest), split


@pytest.mark.parametrize("attachment", [False, True], ids=["output", "attachment"])
@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_each_encoding_is_one_decoded_blob_and_comes_back_exactly(
    tmp_path: Path, name: str, attachment: bool
) -> None:
    mime, value, decoded = ENCODINGS[name]
    nb = dict(new_notebook(cells=[cell_with(mime, value, attachment=attachment)]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    # Exactly: a list stays a list of the same lines, a string the same string.
    got = back["cells"][0]
    got_value = got["attachments"]["a"][mime] if attachment else got["outputs"][0]["data"][mime]
    assert type(got_value) is type(value) and got_value == value
    # Out of the cell: one blob holding the decoded bytes, nothing of the payload in the unit.
    sha = snapshot.sha256(decoded)
    assert list(split.binaries) == [sha]
    assert split.binaries[sha].decoded() == decoded
    assert BlobStore(tmp_path / "blobs").get(sha) == decoded
    text = "".join(value) if isinstance(value, list) else value
    assert len(split.units[0]) < 600 and text[100:160].encode() not in split.units[0]


def test_one_image_in_every_encoding_is_one_blob(tmp_path: Path) -> None:
    values = [v for m, v, d in ENCODINGS.values() if d == RAW and m == "image/png"]
    nb = dict(new_notebook(cells=[cell_with("image/png", v) for v in values]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    assert list(split.binaries) == [snapshot.sha256(RAW)]


def test_unwrapped_refs_keep_their_five_element_form(tmp_path: Path) -> None:
    """Refs written before forms existed have five elements: unwrapped payloads still get
    exactly those, so the chunks of existing stores keep their names, and old refs read."""
    nb = dict(new_notebook(cells=[cell_with("image/png", b64(RAW) + "\n")]))
    _back, split = round_trip(tmp_path, nb)
    refs = json.loads(split.units[0])["refs"]
    assert refs == [["o", 0, "image/png", snapshot.sha256(RAW), "\n"]]
    wrapped = dict(new_notebook(cells=[cell_with("image/png", WRAPPED + "\n")]))
    refs = json.loads(snapshot.split_notebook(wrapped).units[0])["refs"]
    assert refs == [["o", 0, "image/png", snapshot.sha256(RAW), "\n", {"w": 76}]]


@pytest.mark.parametrize("name", sorted(INLINE))
def test_what_no_form_reproduces_stays_inline_and_round_trips(tmp_path: Path, name: str) -> None:
    mime, value = INLINE[name]
    nb = dict(new_notebook(cells=[cell_with(mime, value)]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    assert split.binaries == {}
    assert json.loads(split.units[0])["outputs"][0]["data"][mime] == value


def test_a_payload_seen_under_one_type_is_checked_under_another(tmp_path: Path) -> None:
    """The payload cache knows a string, not its type: SVG markup cached as a text payload
    is still no payload under image/png."""
    nb = dict(new_notebook(cells=[cell_with("image/svg+xml", SVG), cell_with("image/png", SVG)]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    assert [p.mime for p in split.binaries.values()] == ["image/svg+xml"]
    assert json.loads(split.units[1])["outputs"][0]["data"]["image/png"] == SVG


def test_every_encoding_through_the_store_and_nbformat(store: Store) -> None:
    """All encodings in one notebook, checkpointed in a real store (both backends), read
    back equal and written by nbformat to the same bytes; the next checkpoint with a cell
    edited stores no image again."""
    cells = [cell_with(m, v) for m, v, _d in ENCODINGS.values()]
    cells += [cell_with(m, v, attachment=True) for m, v, _d in list(ENCODINGS.values())[:3]]
    cells += [cell_with(m, v) for m, v in INLINE.values()]
    nb = nbformat.from_dict(new_notebook(cells=cells))
    first = service.create(store, "img.ipynb", nb)
    assert first is not None
    snapshot.clear_caches()
    back = service.get(store, first.id)["content"]
    assert back == nb
    assert nbformat.writes(back) == nbformat.writes(nb)
    images = {sha for m, v, d in ENCODINGS.values() for sha in [snapshot.sha256(d)]}
    before = set(store.blobs.all_shas())
    assert images <= before
    nb.cells[0].source = "plot(again)"
    second = service.create(store, "img.ipynb", nb)
    assert second is not None and second.cells_modified == 1
    assert service.get(store, second.id)["content"] == nb
    new_blobs = set(store.blobs.all_shas()) - before
    assert not new_blobs & images
    assert len(new_blobs) <= 3  # the edited cell's chunk, its manifest (and nothing else)


def test_data_uri_images_in_html_leave_the_cell(tmp_path: Path) -> None:
    """matplotlib's nbagg writes its figures as `<img src="data:image/png;base64,...">`
    inside text/html: each big image is a blob, the HTML around it stays, and the text comes
    back exactly; a small image, or one that is not canonical base64, stays in place."""
    big1, big2, small = image("image/png", 10), image("image/jpeg", 11), image("image/gif", 12, 100)
    html = (
        f'<div class="fig">\n<img src="data:image/png;base64,{b64(big1)}" width="640">\n'
        f"<img src='data:image/jpeg;base64,{b64(big2)}'/>"
        f'<img src="data:image/gif;base64,{b64(small)}">'
        f'<img src="data:image/png;base64,{b64(big1)[:-1]}">'  # padding cut: not base64
        "\u00e9</div>"
    )
    cell = new_code_cell("fig.show()", execution_count=2)
    cell.outputs = [
        new_output(
            "display_data",
            data={"text/html": html, "text/markdown": f"![x](data:image/jpeg;base64,{b64(big2)})"},
            metadata={},
        )
    ]
    nb = dict(new_notebook(cells=[dict(cell)]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    assert set(split.binaries) == {snapshot.sha256(big1), snapshot.sha256(big2)}
    assert {p.mime for p in split.binaries.values()} == {"image/png", "image/jpeg"}
    unit = split.units[0]
    assert b64(big2)[100:200].encode() not in unit and b64(small).encode() in unit
    assert len(unit) < len(html) - 2 * 3000


def test_animation_frames_wrapped_as_javascript_strings_leave_the_cell(tmp_path: Path) -> None:
    """matplotlib's HTML animations hold each frame as a data URI in a JavaScript string,
    wrapped at 76 columns with a backslash before each newline, and one at the end."""
    frames = [image("image/png", 20 + k) for k in range(3)]
    continued = [wrap(b64(f), 76).replace("\n", "\\\n") + "\\\n" for f in frames]
    js = "".join(f'  frames[{k}] = "data:image/png;base64,{c}"\n' for k, c in enumerate(continued))
    html = f"<script>\n  var frames = new Array(3);\n{js}</script>"
    cell = new_code_cell("anim", execution_count=3)
    cell.outputs = [new_output("display_data", data={"text/html": html}, metadata={})]
    nb = dict(new_notebook(cells=[dict(cell)]))
    back, split = round_trip(tmp_path, nb)
    assert back == nb
    assert set(split.binaries) == {snapshot.sha256(f) for f in frames}
    refs = json.loads(split.units[0])["refs"]
    assert refs[0][4:] == ["\\\n", {"at": refs[0][5]["at"], "s": 1, "w": 76}]
    assert len(split.units[0]) < 1000
