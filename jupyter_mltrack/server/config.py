"""`c.MLTrack.*`: the server extension's settings (traitlets)."""

from __future__ import annotations

from traitlets import Bool, Int, Unicode
from traitlets.config import Configurable


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
    blob_root = Unicode(
        "", config=True, help="Folder of content-addressed blobs (default: beside the SQLite file)."
    )
    max_notebook_bytes = Int(
        100 * 1024 * 1024, config=True, help="Largest notebook a checkpoint accepts (413 above)."
    )
    save_checkpoints = Bool(
        True, config=True, help="Take a checkpoint when a notebook is saved and has changed."
    )
