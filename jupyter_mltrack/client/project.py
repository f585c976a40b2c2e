"""`init_project(name).fetch_runs_table(query=...)`: the runs of a project as a table.

Filtering, sorting and columns are the query engine's (`jupyter_mltrack.query.runs_table`);
this is neptune's spelling of it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..query import RunsTable, runs_table
from ..store import names
from ..store.config import resolve
from ..store.engine import Store, open_store

__all__ = ["Project", "RunsTable", "init_project"]


class Project:
    """A project: a name, and the runs filed under it."""

    def __init__(self, store: Store, name: str) -> None:
        self._store = store
        self.name = name

    def __repr__(self) -> str:
        return f"<Project {self.name!r}>"

    def fetch_runs_table(
        self,
        query: str = "",
        columns: Sequence[str] | None = None,
        sort_by: str = "sys/creation_time",
        ascending: bool = False,
        limit: int | None = 100,
        offset: int = 0,
        cursor: str | None = None,
        **neptune_kwargs: Any,
    ) -> RunsTable:
        """Runs matching `query` (docs/api.md, query language), newest first by default;
        `.to_pandas()` gives a DataFrame. `columns` adds fields to the default columns.
        `cursor`: the `next_cursor` of the page before (docs/query.md, pages)."""
        del neptune_kwargs  # neptune's progress_bar, trashed, ...: nothing to do here
        return runs_table(
            self._store,
            project=self.name,
            query=query,
            columns=list(columns) if columns is not None else None,
            sort=sort_by if ascending else f"-{sort_by}",
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    def stop(self) -> None:
        """neptune projects have stop(); nothing is held open here."""


def init_project(
    project: str | None = None,
    api_token: str | None = None,
    mode: str | None = None,
    *,
    store: str | None = None,
    blobs: str | os.PathLike[str] | None = None,
    **neptune_kwargs: Any,
) -> Project:
    """A project handle (neptune's `init_project`); `api_token`/`mode` are accepted."""
    del api_token, mode, neptune_kwargs
    st = open_store(resolve(store, blobs))
    name = names.normalize_name(
        project or os.environ.get("MLTRACK_PROJECT") or os.environ.get("NEPTUNE_PROJECT")
    )
    return Project(st, name)
