"""The worker benchmark runs end to end at a tiny scale, and its arithmetic holds."""

from __future__ import annotations

import json

import pytest

from app.bench.worker import run_worker_benchmark
from app.bench.worker_report import (
    WorkerBenchOptions,
    budget_use,
    format_report,
    ideal_done_offsets,
    percentile,
    report_json,
)
from tests.conftest import ENGINE, PG_ADMIN_URL


async def test_one_worker_refreshes_every_account_within_the_budget() -> None:
    options = WorkerBenchOptions(
        accounts=12,
        budget=20,
        window_seconds=1.0,
        latency_ms=5.0,
        duration_cap_seconds=20.0,
        stop_timeout_seconds=2.0,
        # The same engine as the rest of this pytest process (one SQL dialect per process).
        database_url=PG_ADMIN_URL if ENGINE == "postgres" else None,
    )
    report = await run_worker_benchmark(options)

    assert report.database == ("postgresql" if ENGINE == "postgres" else "sqlite")
    assert not report.timed_out
    assert report.refreshed == report.accounts == 12
    assert report.failed_jobs == 0
    assert report.not_active == 0
    assert report.max_use_percent <= 100.0
    for platform, use in report.budget_use.items():
        assert use.accounts == use.refreshed == 6, platform
        assert use.max_window_requests <= options.budget, platform
        assert use.requests >= 2 * use.refreshed, platform  # a profile and its feed, at least
        assert sum(use.per_window) == use.requests, platform
    assert report.refreshes_per_second > 0
    assert report.wall_seconds >= report.ideal_wall_seconds
    assert report.due_to_done.max is not None
    assert report.due_to_done.max > 0
    assert report.worker_peak_rss_mb is not None
    assert report.worker_peak_rss_mb > 0
    assert report.ok
    assert "refreshes/s" in format_report(report)
    line = json.loads(report_json(report))
    assert line["ok"] is True
    assert line["refreshed"] == 12
    assert "database_url" not in line["options"]


def test_budget_use_counts_windows_as_the_redis_budget_aligns_them() -> None:
    # Due at 10.5 s with 4 requests per 2 s window: the due window [10, 12) is partial, the
    # windows [12, 14) and [14, 16) are full, the last request falls in [16, 18).
    times = [10.6, 11.0, 12.1, 12.2, 12.3, 12.4, 14.0, 14.1, 14.2, 16.5]
    use = budget_use("X", times, budget=4, window=2.0, due=10.5, accounts=5, refreshed=5)
    assert use.per_window == [2, 4, 3, 1]
    assert use.full_windows == [4, 3]
    assert use.mean_use_percent == pytest.approx(87.5)
    assert use.min_use_percent == pytest.approx(75.0)
    assert use.max_window_requests == 4
    assert use.max_use_percent == pytest.approx(100.0)
    assert use.requests_per_refresh == 2.0


def test_budget_use_without_requests() -> None:
    use = budget_use("X", [], budget=4, window=2.0, due=10.5, accounts=1, refreshed=0)
    assert use.per_window == [0]
    assert use.full_windows == []
    assert use.mean_use_percent is None
    assert use.max_use_percent == 0.0


def test_ideal_offsets_serve_the_budget_from_the_due_window_on() -> None:
    # 4 accounts × 3 requests, 5 per 10 s window, due 2 s into window 1 (t = 12).
    offsets = ideal_done_offsets(4, 12, budget=5, window=10.0, due=12.0)
    # Last requests #2, #5, #8, #11 → windows 1, 2, 2, 3 → 0 s, 8 s, 8 s, 18 s after due.
    assert offsets == [0.0, 8.0, 8.0, 18.0]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0
