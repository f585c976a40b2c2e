"""Projects: a name and the short key that prefixes its run ids (`credit` → `CRED-12`)."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from .engine import Store
from .entities import ProjectInfo
from .models import Project
from .names import derive_key, normalize_name


def _info(p: Project) -> ProjectInfo:
    return ProjectInfo(id=p.id, name=p.name, key=p.key, created_at=p.created_at)


def get_or_create(store: Store, name: str | None) -> ProjectInfo:
    name = normalize_name(name)
    with store.read() as s:
        p = s.scalar(select(Project).where(Project.name == name))
        if p is not None:
            return _info(p)
    base = derive_key(name)
    for attempt in range(100):
        key = base if attempt == 0 else f"{base}{attempt + 1}"
        try:
            with store.write() as s:
                existing = s.scalar(select(Project).where(Project.name == name))
                if existing is not None:
                    return _info(existing)
                if s.scalar(select(Project.id).where(Project.key == key)) is not None:
                    continue
                p = Project(name=name, key=key, created_at=time.time(), last_run_number=0)
                s.add(p)
                s.flush()
                return _info(p)
        except IntegrityError:
            continue  # another process created it (or took the key) first: look again
    raise InvalidInput(f"could not allocate a run-id key for project {name!r}")


def get(store: Store, name: str) -> ProjectInfo:
    with store.read() as s:
        p = s.scalar(select(Project).where(Project.name == normalize_name(name)))
        if p is None:
            raise NotFound(f"no project named {name!r}")
        return _info(p)


def list_all(store: Store) -> list[ProjectInfo]:
    with store.read() as s:
        return [_info(p) for p in s.scalars(select(Project).order_by(Project.name))]


def next_run_number(session: Session, project_id: int) -> int:
    """Atomic in one statement, so concurrent processes never get the same number."""
    stmt = (
        update(Project)
        .where(Project.id == project_id)
        .values(last_run_number=Project.last_run_number + 1)
        .returning(Project.last_run_number)
    )
    return int(session.execute(stmt).scalar_one())
