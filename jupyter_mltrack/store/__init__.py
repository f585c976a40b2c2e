"""The store: models, migrations, repositories per aggregate, blobs, engine and config.

Import `jupyter_mltrack.store.engine.open_store` to get a `Store`; repositories
(`projects`, `runs`, `fields`, `checkpoints`) take a `Store` and return dataclasses.
"""
