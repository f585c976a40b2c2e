"""The jupyter_server extension: REST API under `<base_url>/mltrack/api/`.

Loading it resolves the store (`c.MLTrack.*`, overridden by `MLTRACK_STORE`/`MLTRACK_BLOBS`),
exports the result to the environment so every kernel this server starts writes to the same
store, opens (and migrates) the store, and mounts one route table per resource module.
If the store cannot be opened the server still starts: the error is logged as one line and
every endpoint answers 503 with it, so the lab panel can show the user what to fix.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.utils import url_path_join

from .. import identity

# The checkpoint modules import the notebook stack (nbformat's validator, nbdime) lazily, so
# that `mltrack checkpoints` starts fast. The server loads it here, once, at import: handlers
# run in worker threads, and two threads importing one package at once can be handed a
# half-initialized module (client/writer.import_store tells that story for SQLAlchemy).
from ..checkpoints import nbdiff as _nbdiff  # noqa: F401
from ..checkpoints import validation as _validation  # noqa: F401
from ..errors import StoreError
from ..store.config import ENV_BLOBS, ENV_STORE, StoreConfig, resolve
from ..store.engine import Store, open_store
from . import checkpoints, columns, diff, fallback, files, health, lab_settings, openapi, runs
from .config import MLTrack

# Each resource module brings its `default_handlers`; openapi.json describes them all.
MODULES = [health, openapi, lab_settings, runs, columns, files, checkpoints, diff, fallback]


class Service:
    """What handlers reach through `self.settings["mltrack"]`."""

    def __init__(self, config: MLTrack, store_config: StoreConfig, base_url: str) -> None:
        self.config = config
        self.store_config = store_config
        self.openapi = openapi.build_spec(base_url)
        # What the lab said of its settings (`PUT lab-settings`), e.g. checkpoint on save.
        self.lab_settings = lab_settings.LabSettings()
        self._store: Store | None = None
        self.error: str | None = None

    def open(self) -> None:
        try:
            self._store = open_store(self.store_config)
        except StoreError as e:
            self.error = str(e)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError(self.error or "the store is not open")
        return self._store


def _load_jupyter_server_extension(serverapp: Any) -> None:
    config = MLTrack(parent=serverapp)
    store_config = resolve(
        configured_store=config.store_url or None,
        configured_blobs=config.blob_url or config.blob_root or None,
    )
    os.environ[ENV_STORE] = store_config.url
    os.environ[ENV_BLOBS] = store_config.blob_url
    # Its kernels record the person the server records (identity.py): runs' sys/owner.
    os.environ[identity.ENV_USER] = identity.process_user()
    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    service = Service(config, store_config, base_url)
    service.open()
    if service.error:
        serverapp.log.error("jupyter-mltrack: %s", service.error)
    else:
        serverapp.log.info("jupyter-mltrack: store %s", store_config.masked_url)
    web_app.settings["mltrack"] = service
    for module in MODULES:  # modules that listen to server events (contents saves, renames)
        hook = getattr(module, "on_load", None)
        if hook is not None:
            hook(serverapp, service)
    handlers = [
        (url_path_join(base_url, "mltrack/api", pattern), handler)
        for module in MODULES
        for pattern, handler in module.default_handlers
    ]
    web_app.add_handlers(".*$", handlers)


# jupyter_server < 2 looked for this name.
load_jupyter_server_extension = _load_jupyter_server_extension
