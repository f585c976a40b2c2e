"""Where a store lives: one SQLAlchemy URL plus one blob location — a folder, or an
S3-compatible bucket written `s3://bucket/prefix` (docs/storage.md).

Precedence (DESIGN §1): explicit argument > env `MLTRACK_STORE` / `MLTRACK_BLOBS` > traitlets
(`c.MLTrack.store_url` / `blob_url`, passed in by the server extension) > default in the
Jupyter data dir. Kept free of SQLAlchemy so resolving a URL costs nothing at import.

Secrets: a URL can carry a password in three places — user-info (`postgresql://u:PW@h/db`),
a query parameter (`postgresql:///db?host=h&password=PW`, also `sslpassword`) and a libpq
keyword string (`host=h password=PW`, `password='x y'`). `_secrets` finds them all, once;
`mask_url` (what the UI, logs and errors show) and `strip_password` (what an offline spool
writes to disk) are its two uses, and `StoreConfig.redact` applies it to a driver's message.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, unquote, unquote_plus, urlencode

ENV_STORE = "MLTRACK_STORE"
ENV_BLOBS = "MLTRACK_BLOBS"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")
# SQLAlchemy's own reading of user-info (sqlalchemy.engine.url._parse_url): the password runs
# from the first ':' after the user name to the next '@'.
_USERINFO = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/]*:(?P<pw>[^@]*)@")
# A libpq `keyword = value`: quoted with backslash escapes, or up to the next blank.
_VALUE = r"'(?:\\.|[^'\\])*'?|(?:\\.|[^\s\\])*\\?"
_KEYWORD = re.compile(rf"(?i)[\w.-]*password\s*=\s*(?P<value>{_VALUE})")
_CONNINFO_PAIR = re.compile(rf"\s*(?P<key>[a-z_]+)\s*=\s*(?P<value>{_VALUE})\s*")
# libpq's connection keywords (the ones that say which server); a string of only
# `keyword=value` pairs using one of them is a connection string, not a file name.
_LIBPQ_KEYS = frozenset({"host", "hostaddr", "port", "dbname", "user", "password", "service"})
MASK = "***"


DEFAULT_HEARTBEAT_INTERVAL = 10.0


def _heartbeat_interval() -> float:
    """`MLTRACK_HEARTBEAT_INTERVAL` (seconds), read once here at import: the client's
    heartbeat and its runs' stale period (`STALE_AFTER`, three intervals) both derive from
    it. The period is recorded with each run its writer beats for (runs.heartbeat), so a
    reader judges every run by its own writer's period, whatever the reader's setting; the
    reader's STALE_AFTER only applies to runs written before periods were recorded. Tests set
    it low to see a killed run turn `crashed` in seconds, not half a minute."""
    raw = os.environ.get("MLTRACK_HEARTBEAT_INTERVAL", "").strip()
    if not raw:
        return DEFAULT_HEARTBEAT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0.05 <= value <= 3600:  # also false for NaN
        warnings.warn(
            f"MLTRACK_HEARTBEAT_INTERVAL={raw!r} is not a number of seconds between 0.05 and "
            f"3600; using {DEFAULT_HEARTBEAT_INTERVAL:g}",
            stacklevel=2,
        )
        return DEFAULT_HEARTBEAT_INTERVAL
    return value


HEARTBEAT_INTERVAL = _heartbeat_interval()
STALE_AFTER = 3 * HEARTBEAT_INTERVAL


def is_object_url(location: str | os.PathLike[str]) -> bool:
    """Whether a blob location names an object store (`s3://bucket/prefix`), not a folder."""
    return isinstance(location, str) and location.lower().startswith("s3://")


@dataclass(frozen=True, init=False)
class StoreConfig:
    url: str
    blob_url: str  # a folder (as a path string) or `s3://bucket/prefix`

    def __init__(self, url: str, blob_url: str | os.PathLike[str]) -> None:
        # Frozen: set once here. A folder may come as a Path (most callers have one).
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "blob_url", os.fspath(blob_url))

    def __repr__(self) -> str:  # a config in a traceback or a log shows no password
        return f"StoreConfig(url={self.masked_url!r}, blob_url={self.masked_blob_url!r})"

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    @property
    def masked_blob_url(self) -> str:
        """The blob location as shown (health, CLI, logs). S3 credentials come from the
        environment or a profile, never the URL; a password written there anyway is masked."""
        return mask_url(self.blob_url)

    @property
    def blobs_in_object_store(self) -> bool:
        return is_object_url(self.blob_url)

    @property
    def blob_root(self) -> Path:
        """The blob folder; only for a folder store (an S3 location is no path)."""
        if self.blobs_in_object_store:
            raise ValueError(
                f"the blobs are in an object store ({self.masked_blob_url}), not a folder"
            )
        return Path(self.blob_url)

    def redact(self, text: str) -> str:
        """`text` (a driver's message, say) with this store's URL masked and its passwords,
        in every spelling found in the URL, replaced by `***` wherever they occur: a short
        password hides some innocent text too, never the other way round."""
        out = text.replace(self.url, self.masked_url)
        for s in _secrets(self.url):
            for form in sorted(s.forms(self.url), key=len, reverse=True):
                out = out.replace(form, MASK)
        return out

    @property
    def backend(self) -> str:
        return self.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def sqlite_path(self) -> Path | None:
        if self.backend != "sqlite":
            return None
        rest = self.url.split("://", 1)[1]
        if rest in ("", "/", "/:memory:"):
            return None
        return Path(rest[1:] if rest.startswith("/") else rest)


@dataclass(frozen=True)
class _Secret:
    """A password found in a URL: [start, end) is masked in place; `cut` is the span that
    `strip_password` removes with it (the ':' before it, or its `password=` key)."""

    start: int
    end: int
    cut: tuple[int, int]
    replace: str = ""  # what `strip_password` puts in place of `cut`

    def forms(self, url: str) -> set[str]:
        """The secret as written and as a driver may see it: unquoted, percent-decoded."""
        raw = url[self.start : self.end]
        if raw.startswith("'"):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1] if raw.endswith("'") else raw[1:])
        return {url[self.start : self.end], raw, unquote(raw), unquote_plus(raw)} - {""}


def _secrets(url: str) -> list[_Secret]:
    """Every password in `url`, in order. Errs on the side of hiding too much: a raw '@'
    inside a password extends it over the next '@' unless a '/' or '?' comes between."""
    found: list[_Secret] = []
    after = 0  # where the user-info ends
    if _SCHEME.match(url):
        after = url.index("://") + 3
        m = _USERINFO.match(url)
        if m:
            end = m.end("pw")
            while (nxt := url.find("@", end + 1)) != -1 and not set(url[end:nxt]) & {"/", "?"}:
                end = nxt
            if end > m.start("pw"):
                found.append(_Secret(m.start("pw"), end, (m.start("pw") - 1, end)))
            after = end + 1
        q = url.find("?", after)
        if q != -1:
            found.extend(_keyword_secrets(url, after, q))
            found.extend(_query_secrets(url, q + 1))
            return found
    found.extend(_keyword_secrets(url, after, len(url)))
    return found


def _keyword_secrets(url: str, start: int, end: int) -> list[_Secret]:
    out = []
    for m in _KEYWORD.finditer(url, start, end):
        if m.group("value"):
            cut_start, cut_end = m.start(), m.end()
            while cut_end < end and url[cut_end].isspace():
                cut_end += 1
            if cut_end == end:  # the last pair: the blank before it goes instead
                while cut_start > start and url[cut_start - 1].isspace():
                    cut_start -= 1
            out.append(_Secret(m.start("value"), m.end("value"), (cut_start, cut_end)))
    return out


def _query_secrets(url: str, start: int) -> list[_Secret]:
    """Query parameters as SQLAlchemy reads them (`parse_qsl`: '&'-separated, each part
    percent-decoded): a `...password` key, or a value that holds a password itself."""
    parts = []  # (start, end, where the value starts, what kind of secret or "")
    pos = start
    for part in url[start:].split("&"):
        key, eq, value = part.partition("=")
        kind = ""
        if value and unquote_plus(key).strip().lower().endswith("password"):
            kind = "key"
        elif value and _secrets(unquote_plus(value)):
            kind = "inner"
        parts.append((pos, pos + len(part), pos + len(key) + len(eq), kind))
        pos += len(part) + 1
    # A dropped parameter goes with the '&' after it; in the trailing run of dropped ones,
    # with the separator before it instead (the '?' too when all of them go).
    trailing = len(parts)
    while trailing and parts[trailing - 1][3] == "key":
        trailing -= 1
    out = []
    for i, (p0, p1, v0, kind) in enumerate(parts):
        if kind == "key":
            cut = (p0 - 1, p1) if i >= trailing else (p0, p1 + 1)
            out.append(_Secret(v0, p1, cut))
        elif kind == "inner":
            plain = quote_plus(strip_password(unquote_plus(url[v0:p1])), safe="*")
            out.append(_Secret(v0, p1, (v0, p1), plain))
    return out


def mask_url(url: str) -> str:
    """`url` with every password replaced by `***`: what the UI, logs and errors show."""
    out = url
    for s in reversed(_secrets(url)):
        out = out[: s.start] + MASK + out[s.end :]
    return out


def strip_password(url: str) -> str:
    """`url` with its passwords left out (the user name and all else kept), for writing to
    disk: libpq can still find the password in PGPASSWORD or ~/.pgpass."""
    out = url
    for s in reversed(_secrets(url)):
        out = out[: s.cut[0]] + s.replace + out[s.cut[1] :]
    return out


def default_root() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "mltrack"


def _as_url(store: str) -> str:
    """A bare path is a SQLite file: `store="runs.db"` is the friendliest way to say so.
    A libpq connection string (`host=h dbname=d password=x`) is a PostgreSQL store."""
    if _SCHEME.match(store):
        return store
    pairs = _conninfo_pairs(store)
    if pairs is not None:
        return "postgresql:///?" + urlencode(pairs)
    return "sqlite:///" + str(Path(store).expanduser().resolve())


def _conninfo_pairs(text: str) -> list[tuple[str, str]] | None:
    """`text` as libpq `keyword=value` pairs, or None unless it is wholly such pairs naming
    at least one of libpq's connection keywords (so a file called `a=b.db` stays a file)."""
    pairs, pos = [], 0
    while pos < len(text):
        m = _CONNINFO_PAIR.match(text, pos)
        if m is None or m.end() == pos:
            return None
        value = m.group("value")
        if value.startswith("'"):
            if len(value) < 2 or not value.endswith("'"):
                return None
            value = value[1:-1]
        pairs.append((m.group("key"), re.sub(r"\\(.)", r"\1", value)))
        pos = m.end()
    return pairs if pairs and any(k in _LIBPQ_KEYS for k, _ in pairs) else None


def resolve(
    store: str | None = None,
    blobs: str | os.PathLike[str] | None = None,
    *,
    configured_store: str | None = None,
    configured_blobs: str | None = None,
) -> StoreConfig:
    url_src = store or os.environ.get(ENV_STORE) or configured_store
    url = _as_url(url_src) if url_src else "sqlite:///" + str(default_root() / "mltrack.db")
    blob_src = blobs or os.environ.get(ENV_BLOBS) or configured_blobs
    blob_url: str | Path
    if blob_src and is_object_url(blob_src):
        blob_url = str(blob_src)
    elif blob_src:
        blob_url = Path(blob_src).expanduser().resolve()
    else:
        db = StoreConfig(url, "").sqlite_path
        blob_url = (db.parent if db else default_root()) / "blobs"
    return StoreConfig(url, blob_url)
