"""The import benchmark's options, its report and its printing."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

TARGET_RATIO = 3.0  # issue 11: an import at most 3× a raw COPY of the same rows


@dataclass(frozen=True, slots=True)
class ImportBenchOptions:
    """What to run: how many rows on each engine, how many rounds, and on which server."""

    rows: int = 1_000_000
    sqlite_rows: int = 200_000  # 0: no SQLite run
    rounds: int = 1
    seed: int = 7
    database_url: str = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Timed:
    """One process run to its end: wall seconds (spawn to exit) and its peak RSS."""

    seconds: float
    peak_rss_mb: float
    exit_code: int


@dataclass(frozen=True, slots=True)
class Round:
    """One COPY and one import of the same file into PostgreSQL."""

    round: int
    first: str  # "copy" or "import": who went first in this round
    copy_seconds: float
    import_seconds: float
    import_peak_rss_mb: float
    stored_rows: int  # account_snapshot + video_snapshot after the import

    @property
    def ratio(self) -> float:
        """Import time over COPY time."""
        return self.import_seconds / self.copy_seconds


@dataclass(frozen=True, slots=True)
class SqliteRun:
    """The same kind of file, imported into a fresh SQLite database."""

    rows: int
    seconds: float
    peak_rss_mb: float
    stored_rows: int

    @property
    def rows_per_second(self) -> float:
        """Rows imported per wall second."""
        return self.rows / self.seconds


@dataclass(frozen=True, slots=True)
class MinMedMax:
    """The spread of one figure over the rounds."""

    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> MinMedMax:
        """Of a non-empty list."""
        return cls(min(values), statistics.median(values), max(values))


@dataclass(frozen=True, slots=True)
class ImportBenchReport:
    """Everything one run measured."""

    options: ImportBenchOptions
    rows: int
    accounts: int
    videos: int
    days: int
    csv_mb: float
    rounds: list[Round]
    sqlite: SqliteRun | None
    target_ratio: float = TARGET_RATIO
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> MinMedMax:
        """Import / COPY over the rounds."""
        return MinMedMax.of([r.ratio for r in self.rounds])

    @property
    def copy_rows_per_second(self) -> MinMedMax:
        """COPY's rate over the rounds."""
        return MinMedMax.of([self.rows / r.copy_seconds for r in self.rounds])

    @property
    def import_rows_per_second(self) -> MinMedMax:
        """The import's rate on PostgreSQL over the rounds."""
        return MinMedMax.of([self.rows / r.import_seconds for r in self.rounds])

    @property
    def ok(self) -> bool:
        """The median ratio within the target."""
        return self.ratio.median <= self.target_ratio


def _spread(value: MinMedMax, digits: int = 2) -> str:
    if value.min == value.max:
        return f"{value.median:,.{digits}f}"
    return f"{value.min:,.{digits}f} / {value.median:,.{digits}f} / {value.max:,.{digits}f}"


def format_report(report: ImportBenchReport) -> str:
    """The human-readable table."""
    spread = "min / median / max of " if len(report.rounds) > 1 else ""
    lines = [
        "",
        f"import benchmark: {report.rows:,} rows ({report.accounts:,} accounts over "
        f"{report.days} days, {report.videos:,} videos; {report.csv_mb:.1f} MB of CSV), "
        f"PostgreSQL, {len(report.rounds)} round(s)",
        "",
        f"  {'round':<7}{'first':<8}{'COPY s':>10}{'import s':>11}{'ratio':>8}"
        f"{'import RSS MB':>15}{'stored rows':>13}",
    ]
    for r in report.rounds:
        lines.append(
            f"  {r.round:<7}{r.first:<8}{r.copy_seconds:>10.2f}{r.import_seconds:>11.2f}"
            f"{r.ratio:>8.2f}{r.import_peak_rss_mb:>15.1f}{r.stored_rows:>13,}"
        )
    holds = "holds" if report.ok else "MISSED"
    lines += [
        "",
        f"  {'ratio import / COPY':<30}{_spread(report.ratio)}   "
        f"(target ≤ {report.target_ratio:g}×, median: {holds})",
        f"  {'COPY rows/s':<30}{_spread(report.copy_rows_per_second, 0)}",
        f"  {'import rows/s (PostgreSQL)':<30}{_spread(report.import_rows_per_second, 0)}",
    ]
    if spread:
        lines.append(f"  ({spread}{len(report.rounds)} rounds)")
    if report.sqlite is not None:
        s = report.sqlite
        lines.append(
            f"  {'import rows/s (SQLite)':<30}{s.rows_per_second:,.0f}   ({s.rows:,} rows in "
            f"{s.seconds:.1f} s, peak RSS {s.peak_rss_mb:.1f} MB, {s.stored_rows:,} stored)"
        )
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def report_json(report: ImportBenchReport) -> str:
    """One JSON line with the options and the figures (for CI logs and the README)."""
    body = asdict(report)
    body["options"].pop("database_url")  # may carry a password
    for raw, measured in zip(body["rounds"], report.rounds, strict=True):
        raw["ratio"] = measured.ratio
    if report.sqlite is not None:
        body["sqlite"]["rows_per_second"] = report.sqlite.rows_per_second
    body["ratio"] = asdict(report.ratio)
    body["copy_rows_per_second"] = asdict(report.copy_rows_per_second)
    body["import_rows_per_second"] = asdict(report.import_rows_per_second)
    body["import_peak_rss_mb"] = max(r.import_peak_rss_mb for r in report.rounds)
    body["ok"] = report.ok
    return json.dumps({"benchmark": "import", **_rounded(body)}, separators=(",", ":"))
