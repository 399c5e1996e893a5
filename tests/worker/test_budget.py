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


async def test_a_reservation_is_all_or_nothing_task_local_and_gives_back_what_it_did_not_use(
    redis: ArqRedis,  # noqa: F811
) -> None:
    budget = RedisBudget(redis, f"test:{uuid.uuid4().hex}", limit=5, window_seconds=3600)
    log: list[str] = []

    async def job(name: str, reserve: int, requests: int) -> None:
        wait = await budget.reserve(reserve)
        log.append(f"{name} reserved {reserve}: {'ok' if wait == 0 else 'deferred'}")
        if wait:
            return
        for _ in range(requests):
            await budget.acquire()
        log.append(f"{name} used {requests}: {await budget.used()} counted")
        await budget.release()

    # Each job is its own task, as arq runs them: a reservation never leaks into another.
    await asyncio.create_task(job("a", 4, 2))
    assert await budget.used() == 2  # the 2 reserved and unused came back
    await asyncio.create_task(job("b", 4, 0))  # 2 + 4 > 5: all or nothing, so nothing
    await asyncio.create_task(job("c", 3, 0))
    await asyncio.create_task(job("d", 2, 3))  # 1 over its reservation: counted as it goes
    await asyncio.create_task(job("e", 1, 0))  # 5 of 5 used: no room
    assert log == [
        "a reserved 4: ok",
        "a used 2: 4 counted",
        "b reserved 4: deferred",
        "c reserved 3: ok",
        "c used 0: 5 counted",
        "d reserved 2: ok",
        "d used 3: 5 counted",
        "e reserved 1: deferred",
    ]
    assert await budget.used() == 5  # a deferred reservation leaves nothing counted
