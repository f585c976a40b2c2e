"""The exceptions every layer raises, so the REST handlers, the CLI and the magics can turn
them into the same status codes and one-line messages without knowing where they came from."""

from __future__ import annotations


class MLTrackError(Exception):
    """Base class. `code` is the machine-readable error name, `status` the HTTP status."""

    code = "error"
    status = 400


class StoreError(MLTrackError):
    """The store cannot be opened or used (bad URL, server down, newer schema)."""

    code = "store_unavailable"
    status = 503


class InvalidInput(MLTrackError):
    code = "invalid"
    status = 400


class InvalidNotebook(MLTrackError):
    code = "invalid_notebook"
    status = 422


class NotFound(MLTrackError):
    code = "not_found"
    status = 404


class Forbidden(MLTrackError):
    code = "forbidden"
    status = 403


class Conflict(MLTrackError):
    code = "conflict"
    status = 409


class TooLarge(MLTrackError):
    code = "too_large"
    status = 413


class CorruptBlob(MLTrackError):
    """A blob's bytes do not hash to its name: it is never served."""

    code = "corrupt_blob"
    status = 500
