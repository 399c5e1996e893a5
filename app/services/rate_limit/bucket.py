"""The token bucket both limiters share: its arithmetic, its decision and the in-process limiter.

A bucket holds `limit` points and refills continuously at `limit / window` points per second, so
an empty bucket is full again after one window. Levels are kept in point·µs (a full bucket holds
`limit × window_us`, a point costs `window_us`, every microsecond adds `limit`): the arithmetic
is then exact integers, in Python here and in the Redis script, where Lua numbers are doubles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MICROS = 1_000_000
# limit × window_us, plus a window's refill, must stay an exact double in the Redis script.
MAX_CAPACITY = 2**52


class RateLimiterUnavailable(Exception):
    """The shared bucket store (Redis) did not answer: the request's cost could not be counted."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What one request's spend decided, with the numbers for the rate-limit headers."""

    allowed: bool
    limit: int
    cost: int
    # Whole points left after this request (after nothing, when refused).
    remaining: int
    # Unix seconds at which the bucket is full again.
    reset_at: float
    # Refused: seconds until `cost` points are there. None when allowed, and when the cost is
    # above the limit (no wait is long enough: see `exceeds_limit`).
    retry_after: float | None

    @property
    def exceeds_limit(self) -> bool:
        """True when the request costs more than a full bucket: it can never be allowed."""
        return self.cost > self.limit


class RateLimiter(Protocol):
    """One call per request: spend the request's cost from its API key's bucket, or refuse."""

    async def spend(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision:
        """Spend `cost` points of key `key_id`'s bucket (`limit` points per `window_seconds`)."""

    def known_refusal(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision | None:
        """The refusal `spend` would give now, when this process knows it without I/O."""


@dataclass(frozen=True, slots=True)
class Saved:
    """A bucket as stored: its level (point·µs) at time `at` (unix µs), for a window size."""

    level: int
    at: int
    window_us: int


def window_micros(cost: int, limit: int, window_seconds: float) -> int:
    """The window in µs, after checking the three numbers fit the bucket's exact arithmetic."""
    window_us = round(window_seconds * MICROS)
    if cost < 0:
        raise ValueError(f"a cost is at least 0, not {cost}")
    if limit < 1 or window_us < 1:
        raise ValueError(f"a bucket needs limit ≥ 1 and a window ≥ 1 µs, not {limit}/{window_us}")
    if limit * window_us > MAX_CAPACITY:
        raise ValueError(f"{limit} points per {window_seconds} s is too large a bucket")
    return window_us


def level_at(saved: Saved | None, now: int, limit: int, window_us: int) -> int:
    """The bucket's level at `now`: what was saved plus the refill since (the Lua script's twin)."""
    capacity = limit * window_us
    if saved is None:  # never used, or expired because it was full
        return capacity
    level = saved.level
    if saved.window_us != window_us:  # the window setting changed: same points, new scale
        level = level * window_us // saved.window_us
    # A clock that went back refills nothing; a long absence refills at most a full bucket.
    elapsed = min(max(now - saved.at, 0), window_us)
    return min(capacity, level + elapsed * limit)


def decide(
    allowed: bool, level: int, now: int, cost: int, limit: int, window_us: int
) -> RateDecision:
    """The decision for a bucket left at `level` (point·µs) at `now` (unix µs)."""
    capacity = limit * window_us
    full_in = _ceil_div(capacity - level, limit)  # µs
    retry_after = None
    if not allowed and cost <= limit:
        retry_after = _ceil_div(cost * window_us - level, limit) / MICROS
    return RateDecision(
        allowed=allowed,
        limit=limit,
        cost=cost,
        remaining=level // window_us,
        reset_at=(now + full_in) / MICROS,
        retry_after=retry_after,
    )


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def unix_micros() -> int:
    """Wall-clock time in µs, like Redis TIME (which the shared buckets use)."""
    return time.time_ns() // 1000


class LocalRateLimiter:
    """The same buckets in this process's memory, for the embedded mode (one process, no Redis).

    At most `max_buckets` are kept: full buckets are dropped first (a missing bucket is a full
    one, so that loses nothing); only with more keys than that spending within one window are
    the least recently used buckets dropped too, which forgives those keys what they spent.
    """

    def __init__(self, max_buckets: int = 100_000, clock: Callable[[], int] = unix_micros) -> None:
        self._buckets: dict[int, Saved] = {}  # in order of last spend
        self._max = max_buckets
        self._clock = clock

    def __len__(self) -> int:
        return len(self._buckets)

    async def spend(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision:
        """Spend `cost` points of the key's bucket, or refuse and spend nothing."""
        window_us = window_micros(cost, limit, window_seconds)
        now = self._clock()
        level = level_at(self._buckets.get(key_id), now, limit, window_us)
        allowed = cost * window_us <= level
        if allowed and cost > 0:
            level -= cost * window_us
            self._buckets.pop(key_id, None)  # re-inserted last: the dict stays in LRU order
            self._buckets[key_id] = Saved(level, now, window_us)
            if len(self._buckets) > self._max:
                self._prune(now)
        return decide(allowed, level, now, cost, limit, window_us)

    def known_refusal(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision | None:
        """The refusal `spend` would give now (spending nothing), or None."""
        window_us = window_micros(cost, limit, window_seconds)
        now = self._clock()
        level = level_at(self._buckets.get(key_id), now, limit, window_us)
        if cost * window_us <= level:
            return None
        return decide(False, level, now, cost, limit, window_us)

    def _prune(self, now: int) -> None:
        # Down to 90 % so that a full table is swept once per many spends, not on every one.
        target = self._max * 9 // 10
        for key_id, saved in list(self._buckets.items()):
            if now - saved.at >= saved.window_us:  # refilled to the brim: same as missing
                del self._buckets[key_id]
        while len(self._buckets) > target:
            del self._buckets[next(iter(self._buckets))]
