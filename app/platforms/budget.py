"""Request budgets: how many upstream calls a platform gets per window, across all workers.

A job reserves the requests it expects before it starts (`reserve`), so a worker slot is never
held by a job sleeping for budget: when the window is full the job is deferred to the next one
instead. Requests then draw on the reservation; any beyond it wait in `acquire` as usual, and
`release` gives back what a job reserved and did not use.
"""

from __future__ import annotations

import asyncio
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


class Budget(Protocol):
    """Something a client waits on before each upstream request."""

    async def acquire(self) -> None:
        """Return when one more request fits the budget."""

    async def reserve(self, requests: int) -> float:
        """Reserve `requests` for the current task: 0 when done, else seconds to wait first."""

    async def release(self) -> None:
        """Give back what the current task reserved and did not use."""


@dataclass
class _Reservation:
    window: int
    remaining: int


# Per asyncio task (each job runs in its own): what it reserved, by budget.
_RESERVED: ContextVar[dict[str, _Reservation] | None] = ContextVar("budget_reserved", default=None)


def _take_reserved(name: str, window: int) -> bool:
    """Use one reserved request of this window, if the current task holds one."""
    held = (_RESERVED.get() or {}).get(name)
    if held is None or held.remaining <= 0:
        return False
    if held.window != window:  # the window ended: what was left is spent
        held.remaining = 0
        return False
    held.remaining -= 1
    return True


def _hold(name: str, window: int, requests: int) -> None:
    held = dict(_RESERVED.get() or {})  # a copy: tasks never share a parent's reservations
    held[name] = _Reservation(window, requests)
    _RESERVED.set(held)


def _drop(name: str) -> _Reservation | None:
    held = dict(_RESERVED.get() or {})
    dropped = held.pop(name, None)
    _RESERVED.set(held)
    return dropped


def _jitter(window_seconds: float) -> float:
    # Spread the workers that wake for a new window, so they do not stampede.
    return random.uniform(0, min(0.05 * window_seconds, 1.0))


class RedisBudget:
    """A fixed-window request budget shared by every process through Redis.

    Each request (or reservation) increments the window's counter; past the limit, callers wait
    for the next window, so the platform never sees more than `limit` requests per window from
    all workers together.
    """

    def __init__(self, redis: Redis, name: str, limit: int, window_seconds: float) -> None:
        self._redis = redis
        self._name = name
        self._limit = limit
        self._window = window_seconds
        self.last_window: int | None = None  # the window the latest granted request counts in

    def _key(self, window: int) -> str:
        return f"creatoraudit:budget:{self._name}:{window}"

    async def _count(self, window: int, requests: int) -> int:
        key = self._key(window)
        used = int(await self._redis.incrby(key, requests))
        if used == requests:
            await self._redis.expire(key, max(1, int(self._window * 2)))
        return used

    async def acquire(self) -> None:
        """Wait until a request fits this window's budget, then count it."""
        while True:
            now = time.time()
            window = int(now // self._window)
            if _take_reserved(self._name, window):
                self.last_window = window
                return
            if await self._count(window, 1) <= self._limit:
                self.last_window = window
                return
            await asyncio.sleep((window + 1) * self._window - now + _jitter(self._window))

    async def reserve(self, requests: int) -> float:
        """Reserve `requests` in this window for the current task, or say how long to wait."""
        now = time.time()
        window = int(now // self._window)
        if await self._count(window, requests) <= self._limit:
            _hold(self._name, window, requests)
            return 0.0
        await self._redis.decrby(self._key(window), requests)
        return (window + 1) * self._window - now + _jitter(self._window)

    async def release(self) -> None:
        """Give back this window's unused reserved requests."""
        held = _drop(self._name)
        if (
            held is not None
            and held.remaining > 0
            and held.window == int(time.time() // self._window)
        ):
            await self._redis.decrby(self._key(held.window), held.remaining)

    async def used(self) -> int:
        """Requests counted in the current window."""
        value = await self._redis.get(self._key(int(time.time() // self._window)))
        return int(value or 0)


class LocalBudget:
    """The same fixed-window budget for one process (embedded mode, where there is no Redis)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self._limit = limit
        self._window = window_seconds
        self._name = f"local:{id(self)}"
        self._current = -1
        self._used = 0

    def _count(self, window: int, requests: int) -> bool:
        if window != self._current:
            self._current, self._used = window, 0
        if self._used + requests > self._limit:
            return False
        self._used += requests
        return True

    async def acquire(self) -> None:
        """Wait until a request fits this window's budget, then count it."""
        while True:
            now = time.time()
            window = int(now // self._window)
            if _take_reserved(self._name, window) or self._count(window, 1):
                return
            await asyncio.sleep((window + 1) * self._window - now)

    async def reserve(self, requests: int) -> float:
        """Reserve `requests` in this window for the current task, or say how long to wait."""
        now = time.time()
        window = int(now // self._window)
        if self._count(window, requests):
            _hold(self._name, window, requests)
            return 0.0
        return (window + 1) * self._window - now + _jitter(self._window)

    async def release(self) -> None:
        """Give back this window's unused reserved requests."""
        held = _drop(self._name)
        if held is not None and held.window == self._current:
            self._used -= held.remaining

    async def used(self) -> int:
        """Requests counted in the current window."""
        return self._used if self._current == int(time.time() // self._window) else 0
