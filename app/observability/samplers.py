"""Values read at scrape time: the arq queue's depth and the platforms' request budgets.

Both live in Redis (or, embedded, in the API process) and are the same whichever process
reads them, so the process answering a scrape reads them then, instead of every process
writing gauges. A read that fails or takes too long leaves its series out of that scrape.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger("creatoraudit.metrics")
SAMPLE_TIMEOUT_SECONDS = 2.0


class Counted(Protocol):
    """A request budget that can say how much of its current window is used."""

    async def used(self) -> int:
        """Requests counted in the current window."""


@dataclass(frozen=True, slots=True)
class BudgetView:
    """One platform's shared request budget and its configured size."""

    platform: str
    budget: Counted
    limit: int
    window_seconds: float


@dataclass(frozen=True, slots=True)
class QueueView:
    """An arq queue: a sorted set of job ids scored by when they may run (ms)."""

    redis: Any
    name: str


class Sampler:
    """Reads the queue and the budgets; `collect` returns them as metric families."""

    def __init__(self, queue: QueueView | None, budgets: Sequence[BudgetView]) -> None:
        self._queue = queue
        self._budgets = budgets

    async def collect(self) -> Collector:
        """A collector holding this moment's values."""
        families: list[Metric] = []
        for read in (self._queue_families, self._budget_families):
            try:
                families += await asyncio.wait_for(read(), SAMPLE_TIMEOUT_SECONDS)
            except Exception as exc:  # a scrape still answers, without these series
                logger.warning("metrics.sample_failed", extra={"error": repr(exc)})
        return _Snapshot(families)

    async def _queue_families(self) -> list[Metric]:
        if self._queue is None:
            return []
        redis, name = self._queue.redis, self._queue.name
        now_ms = int(time.time() * 1000)
        ready = await redis.zcount(name, "-inf", now_ms)
        deferred = await redis.zcount(name, f"({now_ms}", "+inf")
        family = GaugeMetricFamily(
            "creatoraudit_queue_jobs",
            "Jobs in the arq queue: ready to run now, or deferred to later (retries, back-off).",
            labels=["queue", "state"],
        )
        family.add_metric([name, "ready"], ready)
        family.add_metric([name, "deferred"], deferred)
        return [family]

    async def _budget_families(self) -> list[Metric]:
        if not self._budgets:
            return []
        used = GaugeMetricFamily(
            "creatoraudit_upstream_budget_used",
            "Requests counted (sent or reserved) in the current budget window, by platform.",
            labels=["platform"],
        )
        limit = GaugeMetricFamily(
            "creatoraudit_upstream_budget_limit",
            "Requests allowed per budget window, by platform.",
            labels=["platform"],
        )
        window = GaugeMetricFamily(
            "creatoraudit_upstream_budget_window_seconds",
            "Length of the budget window, by platform.",
            labels=["platform"],
        )
        for view in self._budgets:
            used.add_metric([view.platform], await view.budget.used())
            limit.add_metric([view.platform], view.limit)
            window.add_metric([view.platform], view.window_seconds)
        return [used, limit, window]


class _Snapshot(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)
