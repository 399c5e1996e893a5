"""The request budget is shared through Redis and never exceeded, whatever the concurrency."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

from arq.connections import ArqRedis

from app.platforms.budget import LocalBudget, RedisBudget
from tests.worker.test_jobs import redis  # noqa: F401  (fixture)


async def test_two_workers_share_one_budget_and_never_exceed_it(
    redis: ArqRedis,  # noqa: F811
) -> None:
    name = f"test:{uuid.uuid4().hex}"
    window = 0.5
    # Two budget objects stand for two worker processes sharing Redis.
    budgets = [RedisBudget(redis, name, limit=3, window_seconds=window) for _ in range(2)]
    granted: list[int] = []

    async def one(budget: RedisBudget) -> None:
        await budget.acquire()
        assert budget.last_window is not None  # read before any other task can run
        granted.append(budget.last_window)

    started = time.time()
    await asyncio.gather(*(one(budgets[i % 2]) for i in range(9)))
    per_window = Counter(granted)
    assert len(granted) == 9
    assert max(per_window.values()) <= 3
    # 9 requests at 3 per window: the last ones had to wait for later windows.
    assert time.time() - started >= window
    assert await budgets[0].used() <= 3


async def test_the_in_process_budget_of_embedded_mode_holds_the_same_limit() -> None:
    window = 0.5
    budget = LocalBudget(limit=3, window_seconds=window)
    granted: list[int] = []

    async def one() -> None:
        await budget.acquire()
        granted.append(int(time.time() // window))

    started = time.time()
    await asyncio.gather(*(one() for _ in range(7)))
    assert len(granted) == 7
    assert max(Counter(granted).values()) <= 3
    assert time.time() - started >= window  # 7 at 3 per window: later windows were waited for
