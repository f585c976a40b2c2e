"""`GET runs/<id>/files/<path>`: a file field's bytes, verified against its hash.

Files come from user code (File.as_html, uploads), so they are served as data, never as part
of the Jupyter origin: only images, plain text, JSON and PDF are `inline` (the run view's
gallery shows them), everything else is an attachment; every answer carries `nosniff` and a
sandboxing Content-Security-Policy so an HTML or SVG file cannot run script with the user's
session. A corrupt blob is an error (`corrupt_blob`), never served.
"""

from __future__ import annotations

from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import InvalidInput
from ..query.files import file_content
from .base import AUTH_RESOURCE, MLTrackHandler  # noqa: F401  (declared per module)
from .runs import RUN_ID

INLINE_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "text/plain",
    "text/csv",
    "application/json",
    "application/pdf",
)
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def content_disposition(name: str, inline: bool) -> str:
    """RFC 6266: an ASCII fallback without quotes or controls, and the exact UTF-8 name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


class FileHandler(MLTrackHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str, path: str) -> None:
        raw_index = self.get_query_argument("index", None)
        try:
            index = int(raw_index) if raw_index not in (None, "") else None
        except ValueError:
            raise InvalidInput(f"index must be an integer, not {raw_index!r}") from None
        member = self.get_query_argument("member", None) or None
        download = self.get_query_argument("download", "") not in ("", "0", "false")
        content = await self.run_blocking(
            file_content, self.store, run_id, path, index=index, member=member
        )
        mime = content.mime.split(";", 1)[0].strip().lower()
        inline = mime in INLINE_TYPES and not download
        served_type = mime if inline else _attachment_type(mime)
        self.set_header("Content-Disposition", content_disposition(content.name, inline))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", SANDBOX)
        self.set_header("Cache-Control", "private, no-cache")
        self.set_header("ETag", f'"{content.sha256}"')
        if self.check_etag_header():
            self.set_status(304)
            self.finish(set_content_type=served_type)
            return
        # APIHandler.finish would label the bytes application/json otherwise.
        self.finish(content.data, set_content_type=served_type)


def _attachment_type(mime: str) -> str:
    # A download keeps its real type unless a browser could render it as a page.
    if mime in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"):
        return "application/octet-stream"
    return mime or "application/octet-stream"


default_handlers = [(rf"/runs/{RUN_ID}/files/(?P<path>.+)", FileHandler)]
