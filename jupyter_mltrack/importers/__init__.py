"""Importers: runs from other trackers' exports, written in bulk into a store.

- `neptune`: the Parquet layout of neptune-exporter (`mltrack import neptune`);
- `report`: what an import did (runs, points, files, what was skipped and why).

Importers write through `store.imports` (one transaction per piece of a run, a marker of
the pieces done), never through the client's per-point path: an export of millions of points
goes in at the speed of the database, and importing it again writes nothing twice. They
import pyarrow (the `[neptune]` extra) themselves: nothing here is on `import jupyter_mltrack`.
"""
