"""Save retention (issue 17.1): autosave (`save`) checkpoints are thinned as they age.

A lab that saves every two minutes leaves hundreds of `save` entries a day; what a user wants
back from last month is one state a day, from yesterday one an hour, from the last hour every
save. A policy is a list of tiers `AGE:EVERY`, written compactly, e.g. the default

    1h:all, 1d:1h, 30d:1d

"saves younger than an hour: all of them; up to a day old: one an hour; up to 30 days: one a
day; older: none". `EVERY` is `all` or a duration; the last `AGE` may be `forever` (nothing
expires); the whole policy `all` keeps every save. Durations are a number and a unit: `s`,
`m`, `h`, `d`, `w`. A tier keeps, for each notebook, the newest save of every `EVERY`-long
slot of the clock (UTC-aligned hours, days...), so a save that was kept stays kept until its
slot moves to a coarser tier: thinning only ever removes.

Never thinned: any other trigger (manual, run, run-end, restore, api), a save that was named
or described, a save a run links to (start or end), and the newest checkpoint of a notebook
(its last state, however old). Thinning runs cheaply when a save arrives (that notebook's
saves past the keep-all window: a few dozen rows by the history index) and over the whole
store in `mltrack gc`, which then reclaims the blobs nothing needs any more.

The policy comes from `MLTRACK_SAVE_RETENTION`, else the server's `c.MLTrack.save_retention`
(or `mltrack gc --save-retention`), else the default: the environment wins, as it does for
the store itself, so the server and `mltrack gc` run from the same shell agree.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InvalidInput
from ..store import thinning
from ..store.engine import Store
from . import snapshot

ENV_RETENTION = "MLTRACK_SAVE_RETENTION"
DEFAULT = "1h:all, 1d:1h, 30d:1d"
KEEP_ALL = "all"
FOREVER = "forever"

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")


@dataclass(frozen=True)
class Tier:
    """Saves younger than `age` seconds (None: any age) keep one per `every` seconds (None:
    all of them)."""

    age: float | None
    every: float | None


@dataclass(frozen=True)
class Retention:
    tiers: tuple[Tier, ...]  # empty: every save is kept
    text: str  # the policy as written canonically (what health and the CLI show)

    @property
    def keeps_all(self) -> bool:
        return not self.tiers

    @property
    def untouched_for(self) -> float:
        """Seconds back from now in which no save is ever thinned (the first tier, if it keeps
        all): the on-arrival pass reads only saves older than this."""
        first = self.tiers[0] if self.tiers else None
        if first is None:
            return math.inf
        if first.every is None:
            return math.inf if first.age is None else first.age
        return 0.0

    def tier(self, age: float) -> tuple[int, Tier] | None:
        """The tier a save of this age falls in; None when it is past the last one."""
        for i, t in enumerate(self.tiers):
            if t.age is None or age < t.age:
                return i, t
        return None


def _duration(raw: str, where: str) -> float:
    m = _DURATION.match(raw.strip().lower())
    if m is None or float(m.group(1)) <= 0:
        raise InvalidInput(
            f"save retention: {where} {raw.strip()!r} is not a duration such as 30m, 1h, 1d, 2w"
        )
    return float(m.group(1)) * _UNITS[m.group(2)]


def _fmt(seconds: float) -> str:
    for unit in ("w", "d", "h", "m"):
        n = seconds / _UNITS[unit]
        if n >= 1 and n == int(n):
            return f"{int(n)}{unit}"
    return f"{seconds:g}s"


def parse(text: str) -> Retention:
    """A policy from its compact form; blank is the default. Raises InvalidInput saying what
    is wrong and how it is written."""
    raw = text.strip() or DEFAULT
    if raw.lower() == KEEP_ALL:
        return Retention((), KEEP_ALL)
    tiers: list[Tier] = []
    for part in raw.split(","):
        age_s, sep, every_s = part.partition(":")
        if not sep or not age_s.strip() or not every_s.strip():
            raise InvalidInput(
                f"save retention: {part.strip()!r} is not AGE:EVERY (e.g. '1d:1h'); "
                f"a policy is such tiers separated by commas, e.g. {DEFAULT!r}, or 'all'"
            )
        if tiers and tiers[-1].age is None:
            raise InvalidInput("save retention: 'forever' can only be the last tier's age")
        age = None if age_s.strip().lower() == FOREVER else _duration(age_s, "age")
        every = None if every_s.strip().lower() == KEEP_ALL else _duration(every_s, "interval")
        prev = tiers[-1].age if tiers else 0.0
        if age is not None and prev is not None and age <= prev:
            raise InvalidInput(
                f"save retention: tier ages must increase ({age_s.strip()} after {_fmt(prev)})"
            )
        tiers.append(Tier(age, every))
    text_out = ", ".join(
        f"{FOREVER if t.age is None else _fmt(t.age)}:"
        f"{KEEP_ALL if t.every is None else _fmt(t.every)}"
        for t in tiers
    )
    return Retention(tuple(tiers), text_out)


def resolve(configured: str | None = None) -> Retention:
    """The policy in force: `MLTRACK_SAVE_RETENTION`, else `configured`, else the default."""
    env = os.environ.get(ENV_RETENTION, "").strip()
    return parse(env or configured or "")


def doomed(
    policy: Retention, saves: Sequence[thinning.SaveCandidate], now: float
) -> list[thinning.SaveCandidate]:
    """The candidates the policy removes at `now` (pure): past the last tier, or not the
    newest of their notebook's slot in their tier. A notebook's newest checkpoint (`head`)
    is never removed; it is its slot's kept save."""
    if policy.keeps_all:
        return []
    seen: set[tuple[int, int, int]] = set()
    out: list[thinning.SaveCandidate] = []
    for c in sorted(saves, key=lambda c: (c.created_at, c.seq), reverse=True):
        found = policy.tier(now - c.created_at)
        if found is None:
            if not c.head:
                out.append(c)
            continue
        index, tier = found
        if tier.every is None:
            continue
        slot = (c.notebook_id, index, math.floor(c.created_at / tier.every))
        if slot in seen and not c.head:
            out.append(c)
        seen.add(slot)
    return out


@dataclass(frozen=True)
class Thinned:
    """What a pass removed (or would have: `dry_run`)."""

    removed: int
    notebooks: int
    dry_run: bool


def thin(
    store: Store,
    policy: Retention,
    *,
    now: float,
    notebook_id: int | None = None,
    dry_run: bool = False,
) -> Thinned:
    """Remove the saves `policy` no longer keeps at `now`: of one notebook (a save just
    arrived) or of all (`mltrack gc`). The entries after a removed one then follow the
    previous kept entry, and their cell counts are measured again against it."""
    if policy.keeps_all or math.isinf(policy.untouched_for):
        return Thinned(0, 0, dry_run)
    before = now - policy.untouched_for
    candidates = thinning.save_candidates(store, before=before, notebook_id=notebook_id)
    victims = doomed(policy, candidates, now)
    if dry_run or not victims:
        return Thinned(len(victims), len({v.notebook_id for v in victims}), dry_run)
    removed, moved = thinning.remove_saves(store, [v.id for v in victims])
    if moved:
        thinning.set_counts(store, [_recount(store, m) for m in moved])
    return Thinned(removed, len({v.notebook_id for v in victims}), dry_run)


def _units(store: Store, manifest_sha: str) -> list[bytes]:
    return snapshot.UNITS.get(store.blobs, snapshot.MANIFESTS.get(store.blobs, manifest_sha))


def _recount(store: Store, moved: thinning.Reparented) -> thinning.Recount:
    """A checkpoint's stored counts are against its parent: measured again against the new
    one (the history's unfiltered counts read them as they are)."""
    new_units = _units(store, moved.manifest_sha)
    if moved.parent_manifest_sha is None:
        counts = (len(new_units), 0, 0, 0)
    elif moved.parent_manifest_sha == moved.manifest_sha:
        counts = (0, 0, 0, 0)
    else:
        old_units = _units(store, moved.parent_manifest_sha)
        counts = snapshot.count_unit_changes(old_units, new_units)
    return thinning.Recount(moved.id, moved.parent_id, *counts)
