"""`c.MLTrack.*`: the server extension's settings (traitlets)."""

from __future__ import annotations

from typing import Any

from traitlets import Bool, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from ..checkpoints import retention
from ..errors import InvalidInput


class MLTrack(Configurable):
    """Settings of the jupyter-mltrack server extension.

    The store URL and blob root can also come from `MLTRACK_STORE` / `MLTRACK_BLOBS`, which win
    over these (DESIGN §1); the server exports the resolved values so its kernels agree.
    """

    store_url = Unicode(
        "",
        config=True,
        help="SQLAlchemy URL of the store (default: SQLite in the Jupyter data dir).",
    )
    blob_url = Unicode(
        "",
        config=True,
        help="Where the content-addressed blobs live: a folder, or s3://bucket/prefix "
        "(credentials from the AWS environment or a profile; docs/storage.md). "
        "Default: a folder beside the SQLite file.",
    )
    blob_root = Unicode(
        "", config=True, help="The older name of blob_url (a folder); blob_url wins."
    )
    max_notebook_bytes = Int(
        100 * 1024 * 1024, config=True, help="Largest notebook a checkpoint accepts (413 above)."
    )
    save_checkpoints = Bool(
        True, config=True, help="Take a checkpoint when a notebook is saved and has changed."
    )
    save_retention = Unicode(
        retention.DEFAULT,
        config=True,
        help=(
            "Which autosave (`save`) checkpoints are kept as they age: tiers AGE:EVERY, e.g. "
            f"'{retention.DEFAULT}' (the default: every save of the last hour, one an hour "
            "for a day, one a day for 30 days), or 'all' to keep every save. Named, "
            "described, run, run-end and manual checkpoints, and any a run links to, are "
            "always kept. MLTRACK_SAVE_RETENTION wins over it (as `mltrack gc` reads it)."
        ),
    )

    @validate("save_retention")
    def _check_save_retention(self, proposal: Any) -> str:
        try:
            retention.parse(str(proposal["value"]))
        except InvalidInput as e:
            raise TraitError(f"c.MLTrack.save_retention: {e}") from None
        return str(proposal["value"])

    @property
    def save_policy(self) -> retention.Retention:
        """The policy in force (the environment first). An invalid MLTRACK_SAVE_RETENTION
        keeps every save: the extension logged why when it loaded, and thinning on a guess
        would delete history."""
        try:
            return retention.resolve(self.save_retention)
        except InvalidInput:
            return retention.parse(retention.KEEP_ALL)
