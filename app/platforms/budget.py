"""Request budgets: how many upstream calls a platform gets per window, across all workers."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Protocol

from redis.asyncio import Redis


class Budget(Protocol):
    """Something a client waits on before each upstream request."""

    async def acquire(self) -> None:
        """Return when one more request fits the budget."""


class RedisBudget:
    """A fixed-window request budget shared by every process through Redis.

    Each request increments the window's counter; past the limit, callers wait for the next
    window (with a little jitter so workers do not stampede), so the platform never sees more
    than `limit` requests per window from all workers together.
    """

    def __init__(self, redis: Redis, name: str, limit: int, window_seconds: float) -> None:
        self._redis = redis
        self._name = name
        self._limit = limit
        self._window = window_seconds
        self.last_window: int | None = None  # the window the latest granted request counts in

    async def acquire(self) -> None:
        """Wait until a request fits this window's budget, then count it."""
        while True:
            now = time.time()
            window = int(now // self._window)
            key = f"creatoraudit:budget:{self._name}:{window}"
            used = int(await self._redis.incr(key))
            if used == 1:
                await self._redis.expire(key, max(1, int(self._window * 2)))
            if used <= self._limit:
                self.last_window = window
                return
            wait = (window + 1) * self._window - now
            await asyncio.sleep(wait + random.uniform(0, min(0.05 * self._window, 1.0)))

    async def used(self) -> int:
        """Requests counted in the current window."""
        key = f"creatoraudit:budget:{self._name}:{int(time.time() // self._window)}"
        value = await self._redis.get(key)
        return int(value or 0)


class LocalBudget:
    """The same fixed-window budget for one process (embedded mode, where there is no Redis)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self._limit = limit
        self._window = window_seconds
        self._current = -1
        self._used = 0

    async def acquire(self) -> None:
        """Wait until a request fits this window's budget, then count it."""
        while True:
            now = time.time()
            window = int(now // self._window)
            if window != self._current:
                self._current, self._used = window, 0
            if self._used < self._limit:
                self._used += 1
                return
            await asyncio.sleep((window + 1) * self._window - now)
