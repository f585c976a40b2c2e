"""What an import did, for the final report (text or `--json`) and the progress bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Skipped:
    """Something not imported (a part file, a run, a value), and why."""

    where: str
    reason: str


@dataclass
class ImportReport:
    runs_created: int = 0  # new runs
    runs_resumed: int = 0  # runs an earlier, interrupted import had started
    runs_unchanged: int = 0  # runs imported completely before: nothing written
    pieces: int = 0  # part files (or source runs) written
    points: int = 0  # series points written
    fields: int = 0  # non-series values written
    files: int = 0  # files copied into the blob store
    runs: list[str] = field(default_factory=list)  # "SOURCE-ID -> KEY-n"
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append(Skipped(where, reason))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["points_per_second"] = self.points / self.seconds if self.seconds else None
        return out

    def lines(self) -> list[str]:
        """The report as text lines (the CLI escapes them on their way to the terminal)."""
        rate = f", {self.points / self.seconds:,.0f} points/s" if self.seconds > 0 else ""
        out = [
            f"runs: {self.runs_created} new, {self.runs_resumed} resumed, "
            f"{self.runs_unchanged} already imported",
            f"written: {self.points:,} points, {self.fields:,} values, {self.files:,} files "
            f"in {self.seconds:.1f} s{rate}",
        ]
        out += [f"  {r}" for r in self.runs]
        if self.notes:
            out.append("notes:")
            out += [f"  {n}" for n in self.notes]
        if self.skipped:
            out.append(f"skipped ({len(self.skipped)}):")
            out += [f"  {s.where}: {s.reason}" for s in self.skipped]
        return out


# progress(done, total): units of work (rows of the export) done so far, and in all.
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The progress callback when nobody watches (piped output, --json, tests)."""
