"""Files: upload from a path or File, image/html/pickle converters, file series, file sets,
tracked files (hash cache), download; blobs land in the blob store and the `blobs` table."""

from __future__ import annotations

import os
import pickle
import time
import zlib
from pathlib import Path

import pytest
from client_helpers import metric_logging_only

import jupyter_mltrack as mlt
from jupyter_mltrack.client import Run, file_values
from jupyter_mltrack.store import fields
from jupyter_mltrack.store.engine import Store
from jupyter_mltrack.store.models import Blob
from jupyter_mltrack.types import File, encode_png


@pytest.fixture(autouse=True)
def _metric_logging_only(monkeypatch: pytest.MonkeyPatch) -> None:
    metric_logging_only(monkeypatch)


@pytest.fixture
def run(store: Store) -> Run:
    r = mlt.init_run(store=store.config.url, blobs=str(store.config.blob_root))
    yield r
    r.stop()


def _blob_rows(store: Store) -> set[str]:
    from sqlalchemy import select

    with store.read() as s:
        return set(s.scalars(select(Blob.sha256)))


def test_upload_path_and_download(run: Run, store: Store, tmp_path: Path) -> None:
    src = tmp_path / "report.txt"
    src.write_text("hello run")
    run["reports/main"].upload(str(src))
    meta = run["reports/main"].fetch()
    assert meta["name"] == "report.txt" and meta["size"] == 9 and meta["mime"] == "text/plain"
    assert meta["sha256"] in _blob_rows(store)
    out = run["reports/main"].download(str(tmp_path / "out"))
    assert Path(out).read_text() == "hello run"
    assert meta["sha256"] in fields.referenced_blobs(store)


def test_image_html_pickle_converters(run: Run, tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    img = np.zeros((4, 5, 3), dtype=np.float64)
    img[1, 2] = [1.0, 0.5, 0.0]
    png = File.as_image(img)
    assert png.content is not None and png.content.startswith(b"\x89PNG")
    # The IDAT decodes to 4 rows of filter byte + 5 RGB pixels, with our pixel in it.
    idat = png.content[png.content.index(b"IDAT") + 4 :]
    raw = zlib.decompressobj().decompress(idat)
    assert len(raw) == 4 * (1 + 15) and raw[16 + 1 + 6 : 16 + 1 + 9] == bytes([255, 128, 0])
    run["img/np"].upload(png)
    PIL = pytest.importorskip("PIL.Image")
    run["img/pil"].upload(File.as_image(PIL.new("RGB", (3, 3), "red")))
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    run["img/fig"].upload(File.as_image(fig))
    run["html/fig"].upload(File.as_html(fig))
    plt.close(fig)
    pd = pytest.importorskip("pandas")
    run["html/df"].upload(File.as_html(pd.DataFrame({"a": [1, 2]})))
    run["model"].upload(File.as_pickle({"weights": [1, 2, 3]}))
    for p, mime in [
        ("img/np", "image/png"),
        ("img/pil", "image/png"),
        ("img/fig", "image/png"),
        ("html/fig", "text/html"),
        ("html/df", "text/html"),
    ]:
        assert run[p].fetch()["mime"] == mime, p
    out = run["html/df"].download(str(tmp_path))
    assert "<table" in Path(out).read_text()
    out = run["model"].download(str(tmp_path / "m.pkl"))
    assert pickle.loads(Path(out).read_bytes()) == {"weights": [1, 2, 3]}
    assert encode_png(np.ones((2, 2), dtype=bool)).startswith(b"\x89PNG")


def test_file_series_gallery(run: Run, tmp_path: Path) -> None:
    for i in range(3):
        run["predictions"].log(File.from_content(f"pred {i}", extension="txt"))
    data = run["predictions"].fetch_values()
    assert len(data) == 3 and list(data["step"]) == [0, 1, 2]
    out = Path(run["predictions"].download(str(tmp_path / "gallery")))
    assert sorted(p.read_text() for p in out.iterdir()) == ["pred 0", "pred 1", "pred 2"]


def test_upload_files_and_track_files(
    run: Run, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("print(1)")
    (tmp_path / "src" / "b.py").write_text("print(2)")
    run["source_code/files"].upload_files("src/*.py")
    entries = run["source_code/files"].fetch()
    assert [e["path"] for e in entries] == ["src/a.py", "src/b.py"]
    assert all(e["uploaded"] for e in entries)
    out = Path(run["source_code/files"].download(str(tmp_path / "dl")))
    assert (out / "src" / "b.py").read_text() == "print(2)"

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    (data / "test.csv").write_text("a,b\n3,4\n")
    blobs_before = set(store.blobs.all_shas())
    run["data/train"].track_files(str(data))
    tracked = run["data/train"].fetch()
    assert {Path(e["path"]).name for e in tracked} == {"train.csv", "test.csv"}
    assert all(not e["uploaded"] and len(e["sha256"]) == 64 for e in tracked)
    assert set(store.blobs.all_shas()) == blobs_before  # nothing copied


def test_hash_cache_skips_unchanged_files(tmp_path: Path) -> None:
    cache = file_values.HashCache(tmp_path / "cache.json")
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(1 << 20))
    sha = cache.sha256(str(f), f.stat())
    cache.save()
    again = file_values.HashCache(tmp_path / "cache.json")
    # Same size and mtime: answered from the cache without reading (proved by a lie).
    again._load()[os.path.realpath(f)][2] = "cached"
    assert again.sha256(str(f), f.stat()) == "cached"
    time.sleep(0.01)
    f.write_bytes(os.urandom(1 << 20))  # changed: hashed again
    assert again.sha256(str(f), f.stat()) not in ("cached", sha)
