"""The rate limiter of API processes: token buckets in Redis, one atomic script call per request.

Every process runs the same script, which reads the clock with Redis `TIME`, so they all share one
bucket per key and one clock. A bucket's key expires when the bucket would be full again: a
missing key is a full bucket, and idle keys leave nothing behind.

Local refusals: every answer from Redis is a fact ("at some instant after this process sent the
request, the bucket held L"), and after that instant nothing but time adds points: other
processes only spend. So until time could have refilled `cost` points, a request of that cost is
refused here, without a round trip, exactly as Redis would refuse it at that moment. A key
hammering while exhausted costs no Redis traffic. To decide, the refill is over-estimated
(time elapsed since the request was *sent*, +0.1 % and +1 ms for clock-rate differences), so
these refusals err on the side of asking Redis; the numbers reported (`remaining`,
`retry_after`, `reset_at`) count from when the answer was *received*, so a client that waits
`retry_after` has waited long enough (by up to one round trip more). They assume every
process passes the same `limit` for a key: while a changed organization limit reaches the
processes, one that still uses the old, lower limit may refuse for at most one wait what a
faster-refilling bucket would allow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.services.rate_limit.bucket import (
    RateDecision,
    RateLimiterUnavailable,
    decide,
    window_micros,
)

DEFAULT_PREFIX = "creatoraudit:ratelimit"

# KEYS[1] the bucket; ARGV cost, limit, window_us. Returns {allowed, level, now}: the level
# (point·µs, see bucket.py) left at server time `now` (unix µs). Mirrors bucket.level_at.
# Numbers go back to Redis through string.format: Lua's default number format has 14 digits.
SPEND_SCRIPT = """
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local capacity = limit * window
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local level = capacity
local saved = redis.call('HMGET', KEYS[1], 'level', 'at', 'window')
if saved[1] and saved[2] and saved[3] then
  level = tonumber(saved[1])
  local saved_window = tonumber(saved[3])
  if saved_window ~= window then
    level = math.floor(level * window / saved_window)
  end
  local elapsed = math.min(math.max(now - tonumber(saved[2]), 0), window)
  level = math.min(capacity, level + elapsed * limit)
end
local need = cost * window
if need > level then
  return {0, level, now}
end
if need > 0 then
  level = level - need
  redis.call('HSET', KEYS[1], 'level', string.format('%.0f', level),
             'at', string.format('%.0f', now), 'window', string.format('%.0f', window))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / limit / 1000))
end
return {1, level, now}
"""

# Local refusals over-estimate the refill by this much (NTP slews clocks by at most 0.05 %).
_CLOCK_RATE_SLACK = 1000  # elapsed / 1000, i.e. +0.1 %
_CLOCK_SLACK_US = 1000


def _monotonic_micros() -> int:
    return time.monotonic_ns() // 1000


@dataclass(frozen=True, slots=True)
class _Known:
    """A bucket's level (point·µs) at server time `now`, learned from a request sent at `sent`
    and answered at `received` (this process's monotonic clock, µs)."""

    limit: int
    window_us: int
    level: int
    now: int
    sent: int
    received: int


def _refilled(known: _Known, elapsed: int) -> int:
    capacity = known.limit * known.window_us
    return min(capacity, known.level + min(max(elapsed, 0), known.window_us) * known.limit)


class _RefusalMemo:
    """What this process last learned of each key's bucket, to refuse without asking Redis."""

    def __init__(self, size: int) -> None:
        self._known: dict[int, _Known] = {}  # in order of last answer
        self._size = size

    def refuse(self, key_id: int, cost: int, limit: int, window_us: int) -> RateDecision | None:
        """A refusal Redis would give now, or None when only Redis can tell."""
        known = self._known.get(key_id)
        if known is None or known.limit != limit or known.window_us != window_us:
            return None
        now = _monotonic_micros()
        longest = now - known.sent  # at least as long as Redis's clock has run since
        longest += longest // _CLOCK_RATE_SLACK + _CLOCK_SLACK_US
        if cost * window_us <= _refilled(known, longest):
            return None
        shortest = now - known.received  # at most as long as Redis's clock has run since
        return decide(
            False, _refilled(known, shortest), known.now + shortest, cost, limit, window_us
        )

    def learn(self, key_id: int, known: _Known) -> None:
        """Remember the latest answer; a full bucket teaches nothing."""
        self._known.pop(key_id, None)
        if known.level < known.limit * known.window_us:
            self._known[key_id] = known
            if len(self._known) > self._size:
                del self._known[next(iter(self._known))]


class RedisRateLimiter:
    """Token buckets per API key in Redis, shared by every API process.

    `spend` makes one EVALSHA round trip (redis-py reloads the script after a Redis restart:
    NOSCRIPT), or none when the request is refused locally (see the module docstring; turn it
    off with `local_refusals=False`). Raises `RateLimiterUnavailable` when Redis fails.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        local_refusals: bool = True,
        memo_size: int = 10_000,
    ) -> None:
        self._script = redis.register_script(SPEND_SCRIPT)
        self._prefix = prefix
        self._memo = _RefusalMemo(memo_size) if local_refusals else None

    def key(self, key_id: int) -> str:
        """The Redis key of an API key's bucket."""
        return f"{self._prefix}:{key_id}"

    def known_refusal(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision | None:
        """The refusal Redis would give now, when this process's last answer proves it."""
        if self._memo is None:
            return None
        return self._memo.refuse(key_id, cost, limit, window_micros(cost, limit, window_seconds))

    async def spend(
        self, key_id: int, cost: int, limit: int, window_seconds: float
    ) -> RateDecision:
        """Spend `cost` points of the key's bucket, or refuse and spend nothing."""
        window_us = window_micros(cost, limit, window_seconds)
        if self._memo is not None:
            refusal = self._memo.refuse(key_id, cost, limit, window_us)
            if refusal is not None:
                return refusal
        sent = _monotonic_micros()
        try:
            answer = await self._script(keys=[self.key(key_id)], args=[cost, limit, window_us])
        except (RedisError, OSError) as exc:
            raise RateLimiterUnavailable(f"rate limiter unavailable: {exc}") from exc
        allowed, level, now = (int(value) for value in answer)
        if self._memo is not None:
            known = _Known(limit, window_us, level, now, sent, _monotonic_micros())
            self._memo.learn(key_id, known)
        return decide(bool(allowed), level, now, cost, limit, window_us)
