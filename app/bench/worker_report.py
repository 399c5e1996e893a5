"""The worker benchmark's options, its report, the arithmetic behind it and its printing."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class WorkerBenchOptions:
    """What to run: scale, budget, simulated latency, worker concurrency and where."""

    accounts: int = 300
    budget: int = 50  # requests per window, for each platform
    window_seconds: float = 5.0
    latency_ms: float = 50.0
    max_jobs: int = 40  # the worker's default (WorkerSettings.max_jobs)
    duration_cap_seconds: float = 300.0
    database_url: str | None = None  # None: a temporary SQLite file; else a PostgreSQL server
    redis_url: str = "redis://127.0.0.1:6379"
    seed: int = 7
    poll_seconds: float = 0.1
    startup_timeout_seconds: float = 60.0
    stop_timeout_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class Spread:
    """Percentiles of a list of durations, in seconds (None when there was nothing)."""

    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """Nearest-rank p50 and p95, and the maximum."""
        if not values:
            return cls(None, None, None)
        return cls(percentile(values, 0.5), percentile(values, 0.95), max(values))


@dataclass(frozen=True, slots=True)
class BudgetUse:
    """Upstream requests of one platform per budget window, as the simulator counted them.

    `per_window` starts at the window holding the due moment and ends at the window of the
    platform's last request. `full_windows` are the windows that lie entirely between the due
    moment and that last request: work was waiting during all of them, so each should have used
    the whole budget. Windows are aligned as `RedisBudget` aligns them: `int(t // window)`.
    """

    platform: str
    accounts: int
    refreshed: int
    requests: int
    requests_per_refresh: float
    per_window: list[int]
    full_windows: list[int]
    mean_use_percent: float | None
    min_use_percent: float | None
    max_window_requests: int
    max_use_percent: float


@dataclass(frozen=True, slots=True)
class WorkerBenchReport:
    """Everything one run measured."""

    options: WorkerBenchOptions
    database: str
    accounts: int
    refreshed: int
    failed_jobs: int
    not_active: int
    timed_out: bool
    wall_seconds: float
    refreshes_per_second: float
    ideal_wall_seconds: float
    steady_refreshes_per_second: float
    budget_use: dict[str, BudgetUse]
    due_to_done: Spread
    due_to_observed: Spread
    ideal_due_to_done: Spread
    worker_startup_seconds: float
    worker_idle_rss_mb: float | None
    worker_peak_rss_mb: float | None
    worker_cpu_ms_per_refresh: float | None
    worker_exit_code: int | None
    worker_log_tail: list[str] = field(default_factory=list)

    @property
    def max_use_percent(self) -> float:
        """The busiest window of any platform, as % of the budget (must stay ≤ 100)."""
        return max((use.max_use_percent for use in self.budget_use.values()), default=0.0)

    @property
    def ok(self) -> bool:
        """Every account refreshed, and no window above the budget."""
        return (
            not self.timed_out
            and self.refreshed == self.accounts
            and self.failed_jobs == 0
            and self.max_use_percent <= 100.0
        )


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 < q ≤ 1) of non-empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def budget_use(
    platform: str,
    times: Sequence[float],
    *,
    budget: int,
    window: float,
    due: float,
    accounts: int,
    refreshed: int,
) -> BudgetUse:
    """How much of each budget window one platform's requests (arrival times) used."""
    counts = Counter(int(t // window) for t in times)
    percent = [100.0 * c / budget for c in counts.values()]
    first = int(due // window)
    last = int(max(times) // window) if times else first
    per_window = [counts.get(k, 0) for k in range(first, last + 1)]
    # Entirely after the due moment, and entirely before the last request.
    first_full = math.ceil(due / window)
    last_full = (int(max(times) // window) - 1) if times else first_full - 1
    full = [counts.get(k, 0) for k in range(first_full, last_full + 1)]
    used = [100.0 * c / budget for c in full]
    return BudgetUse(
        platform=platform,
        accounts=accounts,
        refreshed=refreshed,
        requests=len(times),
        requests_per_refresh=len(times) / refreshed if refreshed else 0.0,
        per_window=per_window,
        full_windows=full,
        mean_use_percent=statistics.fmean(used) if used else None,
        min_use_percent=min(used) if used else None,
        max_window_requests=max(counts.values(), default=0),
        max_use_percent=max(percent, default=0.0),
    )


def ideal_done_offsets(
    accounts: int, requests: int, *, budget: int, window: float, due: float
) -> list[float]:
    """The earliest each account could be done after `due` if the budget were the only limit.

    The `requests` are spread evenly over the accounts, served in order, `budget` per window
    from the due moment's window on (upstream and database time count as zero): a lower bound.
    """
    if accounts == 0:
        return []
    first = int(due // window)
    per = requests / accounts
    offsets = []
    for index in range(accounts):
        last_request = max(0, math.ceil((index + 1) * per) - 1)
        offsets.append(max(0.0, (first + last_request // budget) * window - due))
    return offsets


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def format_report(report: WorkerBenchReport) -> str:
    """The human-readable table."""
    o = report.options
    lines = [
        "",
        f"worker benchmark: {report.accounts} accounts (half Instagram, half TikTok), "
        f"{report.database}, max_jobs {o.max_jobs}, upstream latency {o.latency_ms:g} ms, "
        f"budget {o.budget} requests / {o.window_seconds:g} s per platform",
        "",
        f"  {'refreshed':<34}{report.refreshed}/{report.accounts}"
        + (f"  ({report.failed_jobs} jobs failed)" if report.failed_jobs else "")
        + ("  (stopped at the duration cap)" if report.timed_out else ""),
        f"  {'wall time, due → last done':<34}{report.wall_seconds:.2f} s"
        f"   (budget-bound ideal ≥ {report.ideal_wall_seconds:.2f} s)",
        f"  {'refreshes/s':<34}{report.refreshes_per_second:.2f}"
        f"   (steady-state ceiling of the budget {report.steady_refreshes_per_second:.2f})",
        f"  {'worker started in':<34}{report.worker_startup_seconds:.2f} s (not in the wall time)",
        "",
        f"  {'due → done (s)':<34}{'p50':>8}{'p95':>8}{'max':>8}",
    ]
    for label, spread in (
        ("measured (arq job finished)", report.due_to_done),
        ("budget-bound ideal", report.ideal_due_to_done),
        ("due → observed (last_scrape_at)", report.due_to_observed),
    ):
        lines.append(
            f"  {label:<34}{_num(spread.p50):>8}{_num(spread.p95):>8}{_num(spread.max):>8}"
        )
    lines += [
        "",
        f"  {'budget use':<12}{'requests':>9}{'req/refresh':>12}{'full windows':>13}"
        f"{'mean %':>8}{'min %':>8}{'max %':>8}",
    ]
    for use in report.budget_use.values():
        lines.append(
            f"  {use.platform:<12}{use.requests:>9}{use.requests_per_refresh:>12.2f}"
            f"{len(use.full_windows):>13}{_num(use.mean_use_percent, 1):>8}"
            f"{_num(use.min_use_percent, 1):>8}{use.max_use_percent:>8.1f}"
        )
    for use in report.budget_use.values():
        windows = " ".join(str(n) for n in use.per_window)
        lines.append(f"  {use.platform} requests per window from the due one: {windows}")
    lines += [
        "",
        f"  {'worker RSS, idle → peak (VmHWM)':<34}{_num(report.worker_idle_rss_mb, 1)} → "
        f"{_num(report.worker_peak_rss_mb, 1)} MB",
        f"  {'worker CPU per refresh':<34}{_num(report.worker_cpu_ms_per_refresh, 1)} ms",
        f"  {'worker exit after SIGTERM':<34}"
        + (
            f"code {report.worker_exit_code}"
            if report.worker_exit_code is not None
            else f"none within {o.stop_timeout_seconds:g} s: killed"
        ),
    ]
    if report.worker_log_tail:
        lines += ["", "  worker log (last lines):", *(f"    {x}" for x in report.worker_log_tail)]
    return "\n".join(lines)


def report_json(report: WorkerBenchReport) -> str:
    """One JSON line with the options and the figures (for CI logs and the README)."""

    def rounded(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 3)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    body = asdict(report)
    body.pop("worker_log_tail")
    for secret in ("database_url", "redis_url"):  # may carry passwords
        body["options"].pop(secret)
    body["max_use_percent"] = report.max_use_percent
    body["ok"] = report.ok
    return json.dumps({"benchmark": "worker", **rounded(body)}, separators=(",", ":"))
