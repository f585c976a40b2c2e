"""Jupyter server configuration for the Galata browser tests.

Port 8890 (not 8888, which another server on the machine may hold), or MLTRACK_UI_PORT,
must match playwright.config.ts. The store and blobs live in a fresh temporary folder per run.
"""

import os
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure_jupyter_server(c)

PORT = int(os.environ.get("MLTRACK_UI_PORT", "8890"))  # must match playwright.config.ts
c.ServerApp.port = PORT
c.ServerApp.port_retries = 0
c.ServerApp.allow_root = True  # CI runs as root
c.ServerApp.jpserver_extensions = {"jupyter_mltrack": True}
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

_tmp = Path(tempfile.mkdtemp(prefix="mltrack-galata-"))
(_tmp / "notebooks").mkdir()
c.ServerApp.root_dir = str(_tmp / "notebooks")
c.MLTrack.store_url = f"sqlite:///{_tmp / 'mltrack.db'}"
c.MLTrack.blob_root = str(_tmp / "blobs")
