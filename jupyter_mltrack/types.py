"""`File`: what `.upload()` and file series take, built from a path, bytes, or a Python object.

The converters never raise: an object that cannot be turned into a file (an unpicklable
object, an unsupported image) gives a `File` carrying a `problem`, and the upload that
receives it warns naming the field, so a bad value logged in a training loop costs one
warning and the rest of the run is kept. numpy, PIL, matplotlib, pandas and plotly are all
optional and only imported when a value of theirs is passed.
"""

from __future__ import annotations

import io
import mimetypes
import os
import struct
import zlib
from typing import Any

__all__ = ["File", "stringify_unsupported"]


class File:
    """A file to upload: a path on disk (read when the writer stores it) or content in memory.

    >>> File("plots/roc.png")                       # a path
    >>> File.from_content("<b>hi</b>", extension="html")
    >>> File.as_image(array_or_pil_or_figure)
    """

    __slots__ = ("_content", "extension", "name", "path", "problem")

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        content: bytes | None = None,
        extension: str | None = None,
        name: str | None = None,
        problem: str | None = None,
    ) -> None:
        self.path = os.fspath(path) if path is not None else None
        self._content = content
        if extension is None and self.path is not None:
            extension = os.path.splitext(self.path)[1].lstrip(".")
        self.extension = (extension or "bin").lstrip(".")
        if name is None and self.path is not None:
            name = os.path.basename(self.path)
        self.name = name or f"file.{self.extension}"
        self.problem = problem

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | os.PathLike[str], extension: str | None = None) -> File:
        return cls(path, extension=extension)

    @classmethod
    def from_content(cls, content: str | bytes, extension: str | None = None) -> File:
        if isinstance(content, str):
            try:
                data = content.encode("utf-8")
            except UnicodeEncodeError as e:  # a lone surrogate: a File carrying the problem
                return cls(
                    extension=extension or "txt",
                    problem=f"the text has a lone surrogate {content[e.start]!r} at position "
                    f"{e.start:,}, which cannot be written as UTF-8; pass bytes instead",
                )
            return cls(content=data, extension=extension or "txt")
        return cls(content=bytes(content), extension=extension or "bin")

    @classmethod
    def from_stream(cls, stream: Any, extension: str | None = None) -> File:
        data = stream.read()
        return cls.from_content(data, extension=extension)

    @staticmethod
    def as_image(image: Any) -> File:
        """A PNG from a numpy array (HxW, HxWx1/3/4; floats in [0, 1] or [0, 255]), a PIL
        image or a matplotlib figure."""
        try:
            return File(content=_png_of(image), extension="png")
        except Exception as e:
            return File(
                extension="png",
                problem=f"cannot make an image of {type(image).__name__} ({e}); pass a numpy "
                "array, a PIL image or a matplotlib figure",
            )

    @staticmethod
    def as_html(obj: Any) -> File:
        """An HTML file from a pandas DataFrame, a matplotlib figure or a plotly figure
        (anything with `to_html()`)."""
        try:
            return File(content=_html_of(obj).encode("utf-8"), extension="html")
        except Exception as e:
            return File(
                extension="html",
                problem=f"cannot render {type(obj).__name__} as HTML ({e}); pass a pandas "
                "DataFrame, a matplotlib figure or a plotly figure",
            )

    @staticmethod
    def as_pickle(obj: Any) -> File:
        import pickle

        try:
            return File(content=pickle.dumps(obj, protocol=4), extension="pkl")
        except Exception as e:
            return File(
                extension="pkl",
                problem=f"cannot pickle {type(obj).__name__} ({type(e).__name__}: {e}); "
                "upload a file you write yourself, or convert it to plain data first",
            )

    # -- used by the writer ------------------------------------------------------------------
    @property
    def content(self) -> bytes | None:
        return self._content

    @property
    def mime(self) -> str:
        return mimetypes.guess_type(f"x.{self.extension}")[0] or "application/octet-stream"

    def __repr__(self) -> str:
        where = self.path if self.path is not None else f"{len(self._content or b'')} bytes"
        return f"File({where!r}, extension={self.extension!r})"


def stringify_unsupported(value: Any) -> Any:
    """neptune's helper: turn values the store cannot hold (lists, None, objects) into
    strings, recursing into dicts, so `run["config"] = stringify_unsupported(cfg)` works."""
    import datetime as dt

    if isinstance(value, dict):
        return {str(k): stringify_unsupported(v) for k, v in value.items()}
    if isinstance(value, (bool, int, float, str, dt.datetime)):
        return value
    return str(value)


# -- images ------------------------------------------------------------------------------------


def _png_of(image: Any) -> bytes:
    if hasattr(image, "savefig"):  # matplotlib Figure
        buf = io.BytesIO()
        image.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    if hasattr(image, "save") and hasattr(image, "mode"):  # PIL Image
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()
    if hasattr(image, "__array__") or isinstance(image, (list, tuple)):
        import numpy as np

        return encode_png(np.asarray(image))
    raise TypeError("not an image")


def encode_png(arr: Any) -> bytes:
    """A numpy array as PNG with zlib only (no PIL needed): gray, gray+alpha, RGB or RGBA."""
    import numpy as np

    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)) or a.size == 0:
        raise ValueError(f"array of shape {a.shape} is not an image (HxW or HxWx1/2/3/4)")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        f = a.astype(np.float64)
        if not np.isfinite(f).all():
            raise ValueError("image has NaN or infinite pixels")
        scale = 255.0 if f.max(initial=0.0) <= 1.0 else 1.0
        a = np.clip(f * scale, 0, 255).round().astype(np.uint8)
    h, w = a.shape[:2]
    channels = 1 if a.ndim == 2 else a.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(a).reshape(h, w * channels)
    raw = np.hstack([np.zeros((h, 1), np.uint8), rows]).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


# -- html --------------------------------------------------------------------------------------


def _html_of(obj: Any) -> str:
    if hasattr(obj, "savefig"):  # matplotlib: SVG keeps it sharp and needs no script
        buf = io.StringIO()
        obj.savefig(buf, format="svg", bbox_inches="tight")
        return f"<!DOCTYPE html><html><body>{buf.getvalue()}</body></html>"
    if hasattr(obj, "to_html"):
        module = type(obj).__module__
        if module.startswith("plotly"):
            # Self-contained: a self-hosted tracker may be offline, so no CDN script.
            return str(obj.to_html(full_html=True, include_plotlyjs=True))
        return f"<!DOCTYPE html><html><body>{obj.to_html()}</body></html>"
    raise TypeError("no HTML form")
