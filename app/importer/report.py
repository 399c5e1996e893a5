"""What an import reports: its counters, a live status line on a terminal, the final summary."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from app.importer.rows import BadRow

__all__ = [
    "BAD_ROWS_KEPT",
    "ImportFailed",
    "ImportReport",
    "Progress",
    "TerminalProgress",
    "format_summary",
    "status_line",
]

BAD_ROWS_KEPT = 50  # bad rows kept for the summary; --errors receives all of them


@dataclass
class ImportReport:
    """What an import read, created and recorded."""

    rows_read: int = 0
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)  # the first BAD_ROWS_KEPT
    accounts: int = 0  # distinct accounts declared by the file
    videos: int = 0  # distinct videos in the file
    accounts_created: int = 0
    account_videos_created: int = 0
    individual_videos_created: int = 0
    observations: int = 0  # (entity, date) observations handed to the store
    snapshots_added: int = 0  # new (entity, date) snapshot rows in the database
    entities_done: int = 0  # entities whose every row has been recorded
    seconds: float = 0.0

    @property
    def good(self) -> int:
        """Rows without a problem."""
        return self.rows_read - self.bad

    @property
    def videos_created(self) -> int:
        """Videos created, of both roles."""
        return self.account_videos_created + self.individual_videos_created

    @property
    def exit_code(self) -> int:
        """0 when every row was good, 1 when some were skipped."""
        return 1 if self.bad else 0


class ImportFailed(Exception):
    """A batch could not be written (nothing of it was): the import stopped there.

    The batches before it are recorded (`report.observations`); importing the same file again
    is safe and writes the rest.
    """

    def __init__(self, report: ImportReport, cause: Exception) -> None:
        super().__init__(
            f"the import stopped: writing a batch failed ({type(cause).__name__}: {cause}); "
            f"{report.observations:,} observations were recorded before it, none of that "
            "batch; importing the same file again is safe"
        )
        self.report = report


class Progress(Protocol):
    """Receives the report as the import advances: `phase` is "reading", "creating" (missing
    accounts and videos) or "recording"."""

    def update(self, phase: str, report: ImportReport) -> None:
        """Called every few rows and after every flush; cheap implementations throttle."""

    def finish(self) -> None:
        """Called once at the end, also on failure."""


def status_line(phase: str, report: ImportReport, elapsed: float) -> str:
    """The status of `phase` after `elapsed` seconds of it: the bad rows so far and, from the
    phase's first second on, its rate (rows read, or rows recorded, per second) come first."""
    if phase == "reading":
        done, unit = report.rows_read, "rows/s"
        head = f"reading: {done:,} rows ({report.bad:,} bad)"
        tail = f"{report.accounts:,} accounts, {report.videos:,} videos"
    elif phase == "creating":
        done, unit = report.accounts_created + report.videos_created, "created/s"
        head = f"creating: {report.accounts_created:,} accounts"
        tail = f"{report.videos_created:,} videos created"
    else:
        # An observation is a recorded good row (one per entity and date).
        done, unit = report.observations, "rows/s"
        head = f"recording: {done:,}/{report.good:,} rows ({report.bad:,} bad)"
        entities = report.accounts + report.videos
        tail = f"{report.entities_done:,}/{entities:,} entities"
    rate = f", {done / elapsed:,.0f} {unit}" if elapsed >= 1 else ""
    return f"{head}{rate}, {tail}"


class TerminalProgress:
    """One status line (`status_line`), rewritten in place at most every `interval` seconds."""

    def __init__(
        self, stream: TextIO, interval: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._shown_at = 0.0
        self._phase = ""
        self._phase_started = 0.0
        self._width = 0

    def update(self, phase: str, report: ImportReport) -> None:
        """Show the report's counters for `phase` unless the line was drawn a moment ago."""
        now = self._clock()
        if phase != self._phase:
            self._phase, self._phase_started = phase, now
        elif now - self._shown_at < self._interval:
            return
        self._shown_at = now
        text = status_line(phase, report, now - self._phase_started)
        text = text[: shutil.get_terminal_size().columns - 1]  # a wrapped line cannot be redrawn
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        """Erase the status line."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def format_summary(report: ImportReport, source: str, organization_id: int) -> str:
    """The summary printed when an import ends (bad rows listed up to the report's limit)."""
    rate = report.rows_read / report.seconds if report.seconds else 0.0
    lines = [
        f"imported {source} into organization {organization_id} "
        f"in {report.seconds:.1f} s ({rate:,.0f} rows/s)",
        f"  rows read:             {report.rows_read:,}",
        f"  good rows:             {report.good:,}",
        f"  bad rows (skipped):    {report.bad:,}",
        f"  accounts in file:      {report.accounts:,} ({report.accounts_created:,} created)",
        f"  videos in file:        {report.videos:,} ({report.videos_created:,} created: "
        f"{report.account_videos_created:,} account, "
        f"{report.individual_videos_created:,} individual)",
        f"  observations recorded: {report.observations:,} "
        f"({report.snapshots_added:,} new snapshot days)",
    ]
    if report.bad_rows:
        lines.append("bad rows:")
        lines.extend(f"  line {bad.line}: {bad.reason}" for bad in report.bad_rows)
        hidden = report.bad - len(report.bad_rows)
        if hidden > 0:
            lines.append(f"  ... and {hidden:,} more (--errors FILE writes them all)")
    return "\n".join(lines)
