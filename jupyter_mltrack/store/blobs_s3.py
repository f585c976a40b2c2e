"""Content-addressed blobs in an S3-compatible bucket (`MLTRACK_BLOBS=s3://bucket/prefix`),
the `blob_api.Blobs` contract over obstore (Rust's object_store: one wheel, no Python
dependencies; docs/storage.md says why it and not s3fs).

- A blob is one object, `<prefix>/<sha[:2]>/<sha>`, holding its bytes as they are (no packs:
  an object store has no 4 KiB block to save, and any S3 tool can read a blob back).
- Every read is checked against the name: bytes that do not hash to it raise `CorruptBlob`
  and are never returned (nor left at `copy_to`'s destination); a missing object raises
  `NotFound`. A request that fails after obstore's retries raises `StoreError`.
- Writes skip what is there (a HEAD, then remembered for `FRESHEN_AFTER`); a PUT is atomic,
  so readers never see half an object. `put_many` uploads on a small thread pool;
  `put_file` streams (multipart above `_STREAM_FROM`) and aborts the upload when the file
  changed while it was read, so an object never holds bytes other than its name's.
- gc's grace: `collect` removes a blob by its object's age, or, for an old blob a writer found
  again and skipped writing (`exists`), by the age of a small marker object
  `<prefix>/reused/<sha[:2]>/<sha>` that `exists` writes — the folder store's "freshen".

Credentials, region and endpoint come from the standard AWS variables (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`),
which obstore reads itself, or else from a profile in `~/.aws/credentials` and
`~/.aws/config` (`AWS_PROFILE`, else `default`), read here. obstore is imported when the
first S3 store opens, never by `import jupyter_mltrack`.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..errors import CorruptBlob, NotFound, StoreError
from .blob_api import Blobs, Collected
from .blobs import FRESHEN_AFTER, sha256_bytes
from .config import mask_url

if TYPE_CHECKING:
    from obstore.store import S3Store

T = TypeVar("T")
_CHUNK = 1 << 20
_STREAM_FROM = 8 << 20  # a file above this is streamed (and uploaded in parts)
_PART = 8 << 20  # multipart part size
_WORKERS = 8  # concurrent uploads of one put_many
_DELETE_BATCH = 1000  # keys per DeleteObjects request (S3's limit)
_BLOB_KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{64})")
_MARKER_DIR = "reused"
_SHA = re.compile("[0-9a-f]{64}")
# obstore retries 5xx answers and connection errors with exponential backoff; a request still
# failing after this long raises StoreError (the client's writer keeps the upload and retries
# it later). `MLTRACK_S3_RETRY_TIMEOUT` (seconds) changes it.
RETRY_TIMEOUT = 60.0


def configured_retry_timeout() -> float:
    raw = os.environ.get("MLTRACK_S3_RETRY_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else RETRY_TIMEOUT
    except ValueError:
        value = RETRY_TIMEOUT
    return value if 0 < value <= 3600 else RETRY_TIMEOUT


def _obstore() -> Any:
    try:
        import obstore
    except ImportError:
        raise StoreError(
            "blobs on S3 need the obstore package: pip install 'jupyter-mltrack[s3]'"
        ) from None
    return obstore


# obstore's tokio runtime is not fork-safe: in a process forked from one that made requests,
# any request (even on a new store) hangs forever. Such a child gets StoreError at once
# instead; the client's writer then keeps its uploads and spools them at the run's end.
_requests_pid: int | None = None


def _check_not_forked(location: str) -> None:
    global _requests_pid
    pid = os.getpid()
    if _requests_pid is None:
        _requests_pid = pid
    elif _requests_pid != pid:
        raise StoreError(
            f"blob store {location}: the S3 client cannot run in a process forked from one "
            "that used it (start workers that upload files with the 'spawn' method)"
        )


def parse_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket/prefix` (the prefix without slashes at its ends)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.hostname:
        raise StoreError(f"not an S3 blob location: {mask_url(url)} (want s3://bucket/prefix)")
    if parts.username or parts.password or parts.query:
        raise StoreError(
            f"{mask_url(url)}: credentials and options go in the AWS environment variables or "
            "a profile, not in the blob URL (docs/storage.md)"
        )
    return parts.hostname, parts.path.strip("/")


def profile_settings(env: dict[str, str] | None = None) -> dict[str, str]:
    """What a named AWS profile says (keys, token, region, endpoint) for the settings the
    environment leaves out; obstore reads the `AWS_*` variables but no profile files."""
    env = dict(os.environ) if env is None else env
    name = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    home = Path.home() / ".aws"
    creds = _ini(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / "credentials", name)
    conf = _ini(env.get("AWS_CONFIG_FILE") or home / "config", name, config_file=True)
    out: dict[str, str] = {}
    if not env.get("AWS_ACCESS_KEY_ID"):
        for ours, theirs in (
            ("access_key_id", "aws_access_key_id"),
            ("secret_access_key", "aws_secret_access_key"),
            ("session_token", "aws_session_token"),
        ):
            value = creds.get(theirs) or conf.get(theirs)
            if value:
                out[ours] = value
    if not (env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")) and conf.get("region"):
        out["region"] = conf["region"]
    if not (env.get("AWS_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3")):
        endpoint = conf.get("endpoint_url")
        if endpoint:
            out["endpoint"] = endpoint
    return out


def _ini(path: str | Path, profile: str, *, config_file: bool = False) -> dict[str, str]:
    """One profile's section of an AWS ini file (`[profile x]` in the config file)."""
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(OSError, configparser.Error):
        parser.read(path)
    names = [profile] if not config_file or profile == "default" else []
    names.append(f"profile {profile}")
    for section in names:
        if parser.has_section(section):
            return dict(parser.items(section))
    return {}


class S3Blobs:
    """The blobs under one `s3://bucket/prefix` (`blob_api.Blobs`), shared by processes."""

    def __init__(
        self,
        url: str,
        *,
        retry_timeout: float | None = None,
        workers: int = _WORKERS,
        now: Callable[[], float] = time.time,
    ) -> None:
        bucket, prefix = parse_url(url)
        self.bucket, self.prefix = bucket, prefix
        self.location = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.workers = max(1, workers)
        # The clock gc's grace and `exists`' freshness are measured with (tests move it);
        # the objects' times are the server's, so hosts need NTP-synced clocks (the grace,
        # an hour by default, dwarfs any usual skew).
        self.now = now
        self._fresh: dict[str, float] = {}  # sha -> when it was last known written/reused
        self._lock = threading.Lock()
        timeout = configured_retry_timeout() if retry_timeout is None else retry_timeout
        self._store = self._open(timeout)

    def _open(self, retry_timeout: float) -> S3Store:
        _obstore()
        from obstore.store import S3Store

        settings = profile_settings()
        endpoint = (
            os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or settings.get("endpoint", "")
        )
        try:
            return S3Store(
                self.bucket,
                prefix=self.prefix or None,
                client_options={
                    "allow_http": endpoint.lower().startswith("http://"),
                    "connect_timeout": timedelta(seconds=10),
                    "timeout": timedelta(seconds=300),
                },
                retry_config={
                    "max_retries": 10,
                    "retry_timeout": timedelta(seconds=retry_timeout),
                    "backoff": {
                        "init_backoff": timedelta(milliseconds=100),
                        "max_backoff": timedelta(seconds=5),
                        "base": 2,
                    },
                },
                **settings,  # type: ignore[arg-type]
            )
        except Exception as e:
            raise StoreError(
                f"cannot open the blob store {self.location}: {_first_line(e)}"
            ) from None

    # -- names --------------------------------------------------------------------------------
    @staticmethod
    def _key(sha: str) -> str:
        if not isinstance(sha, str) or _SHA.fullmatch(sha) is None:
            raise NotFound(f"not a blob id: {sha!r}")
        return f"{sha[:2]}/{sha}"

    @staticmethod
    def _marker(sha: str) -> str:
        return f"{_MARKER_DIR}/{sha[:2]}/{sha}"

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One obstore read, its failures as this package's errors: a missing object is
        `NotFound`, anything else (after obstore's retries) `StoreError`."""
        _check_not_forked(self.location)
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError:
            raise NotFound(f"blob {what} is missing from {self.location}") from None
        except (NotFound, CorruptBlob, StoreError):
            raise
        except Exception as e:
            raise StoreError(f"blob store {self.location}: {what}: {_first_line(e)}") from None

    def _bucket(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One obstore write or listing: any failure is `StoreError` (a 404 here means the
        bucket is missing, not a blob)."""
        _check_not_forked(self.location)
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError as e:
            raise StoreError(
                f"blob store {self.location}: {what}: not found (does the bucket exist?): "
                f"{_first_line(e)}"
            ) from None
        except (NotFound, CorruptBlob, StoreError):
            raise
        except Exception as e:
            raise StoreError(f"blob store {self.location}: {what}: {_first_line(e)}") from None

    # -- existence and freshness -------------------------------------------------------------
    def _seen(self, sha: str, when: float) -> None:
        with self._lock:
            if when > self._fresh.get(sha, 0.0):
                self._fresh[sha] = when

    def exists(self, sha: str) -> bool:
        """Whether the blob is stored. A true answer is a promise (the caller skips writing):
        an object older than `FRESHEN_AFTER` gets a fresh reuse marker first, so gc keeps it
        through its grace period from now on."""
        key = self._key(sha)
        now = self.now()
        with self._lock:
            seen = self._fresh.get(sha)
        if seen is not None and now - seen <= FRESHEN_AFTER:
            return True
        obs = _obstore()
        try:
            meta = self._call(sha, obs.head, self._store, key)
        except NotFound:
            return False
        written = meta["last_modified"].timestamp()
        if now - written > FRESHEN_AFTER:
            # The marker says when, by this clock (the one gc's cutoff is taken with).
            self._bucket(sha, obs.put, self._store, self._marker(sha), repr(now).encode())
            written = now
        self._seen(sha, written)
        return True

    # -- writing -----------------------------------------------------------------------------
    def put(self, data: bytes, sha: str | None = None) -> str:
        """Store `data`; returns its sha256. A blob already present is not written again."""
        sha = sha or sha256_bytes(data)
        key = self._key(sha)
        if not self.exists(sha):
            self._upload(key, sha, data)
        return sha

    def _upload(self, key: str, sha: str, data: bytes) -> None:
        obs = _obstore()
        self._bucket(sha, obs.put, self._store, key, bytes(data), use_multipart=False)
        self._seen(sha, self.now())

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Store (sha, data) pairs, `workers` at a time (each request retried by obstore);
        returns how many were new. A failure raises once the others are done: what went up
        stays (writes are idempotent, so a retry only sends the rest)."""
        todo: dict[str, bytes] = {}
        for sha, data in items:
            self._key(sha)
            todo.setdefault(sha, data)
        if not todo:
            return 0

        def one(pair: tuple[str, bytes]) -> bool:
            sha, data = pair
            if self.exists(sha):
                return False
            self._upload(self._key(sha), sha, data)
            return True

        if len(todo) == 1:
            return int(one(next(iter(todo.items()))))
        new = 0
        failed: BaseException | None = None
        with ThreadPoolExecutor(min(self.workers, len(todo)), "mltrack-s3") as pool:
            for fut in [pool.submit(one, pair) for pair in todo.items()]:
                try:
                    new += fut.result()
                except BaseException as e:  # collect every result before raising
                    failed = failed or e
        if failed is not None:
            raise failed
        return new

    def put_file(self, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a file; returns (sha, size). A large one is hashed, then streamed in parts;
        the upload is aborted (nothing stored) when the file changed in between."""
        with open(source, "rb") as src:
            head = src.read(_STREAM_FROM + 1)
            if len(head) <= _STREAM_FROM:
                return self.put(head), len(head)
            h = hashlib.sha256(head)
            size = len(head)
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
        sha = h.hexdigest()
        if self.exists(sha):
            return sha, size
        obs = _obstore()
        self._bucket(
            sha,
            obs.put,
            self._store,
            self._key(sha),
            _checked_chunks(source, sha),
            chunk_size=_PART,
            max_concurrency=4,
        )
        self._seen(sha, self.now())
        return sha, size

    def sync(self) -> None:
        """Nothing to do: a PUT that returned is durable."""

    # -- reading -----------------------------------------------------------------------------
    def get(self, sha: str) -> bytes:
        """The verified content of a blob."""
        key = self._key(sha)
        obs = _obstore()
        data = bytes(self._call(sha, lambda: obs.get(self._store, key).bytes()))
        if sha256_bytes(data) != sha:
            raise CorruptBlob(f"blob {sha} is corrupt: its content does not match its name")
        return data

    def copy_to(self, sha: str, dest: str | os.PathLike[str]) -> int:
        """Stream a blob to `dest`, verified: nothing is left there when it is corrupt."""
        key = self._key(sha)
        obs = _obstore()
        tmp = f"{os.fspath(dest)}.mltrack-part"
        h = hashlib.sha256()
        size = 0
        try:
            result = self._call(sha, obs.get, self._store, key)
            with open(tmp, "wb") as out:
                for chunk in self._call(sha, result.stream, min_chunk_size=_CHUNK):
                    part = bytes(chunk)
                    h.update(part)
                    out.write(part)
                    size += len(part)
            if h.hexdigest() != sha:
                raise CorruptBlob(f"blob {sha} is corrupt: its content does not match its name")
            os.replace(tmp, dest)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, (NotFound, CorruptBlob, StoreError, OSError)):
                raise
            raise StoreError(f"blob store {self.location}: {sha}: {_first_line(e)}") from None
        return size

    def stored_size(self, sha: str) -> int:
        """Bytes the blob's object takes."""
        obs = _obstore()
        return int(self._call(sha, obs.head, self._store, self._key(sha))["size"])

    def _list(self, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        obs = _obstore()
        stream = self._bucket("list", obs.list, self._store, prefix, chunk_size=1000)
        while True:
            batch = self._bucket("list", next, stream, None)
            if batch is None:
                return
            yield from batch

    def _blob_objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for meta in self._list():
            m = _BLOB_KEY.fullmatch(meta["path"])
            if m is not None and m.group(2).startswith(m.group(1)):
                yield m.group(2), meta

    def all_shas(self) -> Iterable[str]:
        for sha, _meta in self._blob_objects():
            yield sha

    # -- gc ----------------------------------------------------------------------------------
    def _markers(self) -> dict[str, float]:
        """sha -> when a writer last found it again (the later of the marker's own time and
        the object's; markers are few: old blobs reused within the last grace period)."""
        obs = _obstore()
        out = {}
        for meta in self._list(_MARKER_DIR):
            m = _BLOB_KEY.fullmatch(meta["path"][len(_MARKER_DIR) + 1 :])
            if m is None:
                continue
            when = meta["last_modified"].timestamp()
            with contextlib.suppress(NotFound, ValueError):
                body = self._call("marker", lambda p=meta["path"]: obs.get(self._store, p).bytes())
                when = max(when, float(bytes(body).decode() or 0))
            out[m.group(2)] = when
        return out

    def collect(self, keep: Set[str], *, grace: float, dry_run: bool = False) -> Collected:
        """Delete every blob not in `keep` whose object, and reuse marker if any, is older
        than `grace` seconds; then the markers older than that (they protect nothing now).
        The markers are listed after the blobs, just before deleting, so a blob a writer
        found again meanwhile is kept."""
        cutoff = self.now() - grace
        candidates = {
            sha: meta
            for sha, meta in self._blob_objects()
            if sha not in keep and meta["last_modified"].timestamp() < cutoff
        }
        markers = self._markers()
        victims = sorted(s for s in candidates if markers.get(s, 0.0) < cutoff)
        freed = sum(int(candidates[s]["size"]) for s in victims)
        if not dry_run:
            with self._lock:
                for sha in victims:
                    self._fresh.pop(sha, None)
            stale = [self._marker(s) for s, t in markers.items() if t < cutoff]
            self._delete([self._key(s) for s in victims] + stale)
        return Collected(tuple(victims), freed, 0, dry_run)

    def _delete(self, keys: list[str]) -> None:
        obs = _obstore()
        for i in range(0, len(keys), _DELETE_BATCH):
            self._bucket("delete", obs.delete, self._store, keys[i : i + _DELETE_BATCH])


def _checked_chunks(source: str | os.PathLike[str], sha: str) -> Iterator[bytes]:
    """The file's bytes for a streamed upload; raises at the end when they no longer hash to
    `sha` (the file changed since it was hashed), which aborts the multipart upload."""
    h = hashlib.sha256()
    with open(source, "rb") as src:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            yield chunk
    if h.hexdigest() != sha:
        raise CorruptBlob(f"{os.fspath(source)} changed while it was uploaded; nothing was stored")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


if TYPE_CHECKING:  # mypy proves the S3 store is a `Blobs`
    _conforms: Blobs = S3Blobs("s3://bucket")
