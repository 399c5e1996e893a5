"""The rate limiter: token buckets per API key, in Redis (shared, atomic) and in process memory."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis

from app.services.rate_limit import (
    LocalRateLimiter,
    RateDecision,
    RateLimiter,
    RateLimiterUnavailable,
    RedisRateLimiter,
)
from app.services.rate_limit.bucket import MICROS, Saved, level_at

SHARED_HOST, SHARED_PORT = "127.0.0.1", 6379
LONG = 10**6  # a window in seconds over which no test lasts long enough to refill a point


class CountingRedis(Redis):
    """A Redis client that counts the commands it sends (each one is a round trip here)."""

    sent: list[str]

    def __init__(self, host: str = SHARED_HOST, port: int = SHARED_PORT, **kwargs: Any) -> None:
        super().__init__(host=host, port=port, **kwargs)
        self.sent = []

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent.append(str(args[0]))
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


def shared_redis() -> Redis:
    """A client of the shared Redis with its own connection pool, as each API process has."""
    return Redis(host=SHARED_HOST, port=SHARED_PORT)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (nothing is flushed)."""
    name = f"test:ratelimit:{uuid.uuid4().hex}"
    yield name
    redis = shared_redis()
    try:
        keys = [key async for key in redis.scan_iter(match=f"{name}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture
async def redis() -> AsyncIterator[CountingRedis]:
    client = CountingRedis()
    try:
        yield client
    finally:
        await client.aclose()


class FakeClock:
    """Unix microseconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000 * MICROS

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += round(seconds * MICROS)


@pytest.fixture(params=["redis", "local"])
def limiter(request: pytest.FixtureRequest, redis: CountingRedis, prefix: str) -> RateLimiter:
    """Each behaviour holds for both limiters."""
    if request.param == "redis":
        return RedisRateLimiter(redis, prefix=prefix)
    return LocalRateLimiter()


@dataclass
class PrivateRedis:
    """A redis-server of this test module's own, which tests may inspect, flush and kill."""

    port: int
    process: subprocess.Popen[bytes]

    def client(self, **kwargs: Any) -> CountingRedis:
        return CountingRedis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=2, socket_timeout=2, **kwargs
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_redis() -> PrivateRedis:
    port = _free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return PrivateRedis(port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = _start_redis()
    try:
        yield server
    finally:
        server.process.kill()  # only the process this fixture started, by its handle
        server.process.wait(timeout=10)


async def spend_all(limiter: RateLimiter, *costs: int, limit: int = 10) -> list[RateDecision]:
    return [await limiter.spend(1, cost, limit, LONG) for cost in costs]


# Spending and refusing


async def test_spending_counts_down_and_a_refusal_spends_nothing(limiter: RateLimiter) -> None:
    started = time.time()
    decisions = await spend_all(limiter, 3, 3, 3, 3, 1)
    assert [d.allowed for d in decisions] == [True, True, True, False, True]
    assert [d.remaining for d in decisions] == [7, 4, 1, 1, 0]
    assert [d.limit for d in decisions] == [10] * 5
    refused = decisions[3]
    assert refused.cost == 3
    # 2 points missing, at 10 points per LONG seconds.
    assert refused.retry_after is not None
    assert 0.2 * LONG - 1 < refused.retry_after <= 0.2 * LONG
    assert all(d.retry_after is None for d in decisions if d.allowed)
    # Empty: full again one whole window later.
    assert started + LONG - 1 < decisions[-1].reset_at <= time.time() + LONG


async def test_a_cost_above_the_limit_is_refused_with_no_wait_and_spends_nothing(
    limiter: RateLimiter,
) -> None:
    over, after = await spend_all(limiter, 11, 4)
    assert not over.allowed
    assert over.exceeds_limit
    assert over.retry_after is None  # no wait is long enough: the caller says so instead
    assert over.remaining == 10
    assert after.allowed
    assert after.remaining == 6


async def test_a_zero_cost_request_is_allowed_and_shows_the_remaining_points(
    limiter: RateLimiter,
) -> None:
    decisions = await spend_all(limiter, 10, 0)
    assert decisions[1].allowed
    assert decisions[1].remaining == 0


async def test_a_changed_limit_or_window_keeps_the_points_already_spent(
    limiter: RateLimiter,
) -> None:
    assert (await limiter.spend(1, 8, 10, LONG)).remaining == 2
    raised = await limiter.spend(1, 0, 20, LONG)
    assert raised.remaining == 2  # a higher limit refills faster, it does not fill up at once
    assert (await limiter.spend(1, 0, 20, 2 * LONG)).remaining == 2
    lowered = await limiter.spend(1, 2, 1, LONG)
    assert not lowered.allowed  # a lower limit caps the bucket
    assert lowered.remaining == 1


async def test_out_of_range_numbers_are_refused(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError, match="cost"):
        await limiter.spend(1, -1, 10, 60)
    with pytest.raises(ValueError, match="limit"):
        await limiter.spend(1, 1, 0, 60)
    with pytest.raises(ValueError, match="too large"):
        await limiter.spend(1, 1, 10**9, 86400)


async def test_the_script_and_the_python_bucket_agree(redis: CountingRedis, prefix: str) -> None:
    shared = RedisRateLimiter(redis, prefix=prefix, local_refusals=False)
    local = LocalRateLimiter()
    rng = random.Random(7)
    for _ in range(120):
        cost = rng.randint(0, 40)
        theirs = await shared.spend(1, cost, 1000, LONG)
        ours = await local.spend(1, cost, 1000, LONG)
        assert (theirs.allowed, theirs.remaining) == (ours.allowed, ours.remaining)


# Refilling


async def test_the_local_bucket_refills_continuously() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock=clock)
    empty = await limiter.spend(1, 10, 10, 1)
    assert empty.remaining == 0
    assert empty.reset_at == clock.now / MICROS + 1
    refused = await limiter.spend(1, 4, 10, 1)
    assert refused.retry_after == 0.4
    clock.advance(0.399999)
    assert not (await limiter.spend(1, 4, 10, 1)).allowed
    clock.advance(0.000001)
    again = await limiter.spend(1, 4, 10, 1)
    assert again.allowed
    assert again.remaining == 0
    clock.advance(5)  # a long absence fills the bucket, no more
    assert (await limiter.spend(1, 0, 10, 1)).remaining == 10


async def test_the_redis_bucket_refills_in_the_time_it_says(
    redis: CountingRedis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, prefix=prefix)
    empty = await limiter.spend(1, 10, 10, 1)
    assert empty.remaining == 0
    refused = await limiter.spend(1, 4, 10, 1)
    assert not refused.allowed
    assert refused.retry_after is not None
    assert 0.3 < refused.retry_after <= 0.4
    await asyncio.sleep(refused.retry_after + 0.001)  # the bucket's own word (local or not)
    again = await limiter.spend(1, 4, 10, 1)
    assert again.allowed
    assert again.remaining == 0
    await asyncio.sleep(max(0.0, again.reset_at - time.time()) + 0.005)
    assert (await limiter.spend(1, 0, 10, 1)).remaining == 10


async def test_a_bucket_key_expires_when_the_bucket_is_full_again(
    redis: CountingRedis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, prefix=prefix)
    decision = await limiter.spend(1, 3, 10, 1)  # 3 of 10 points: full again in 0.3 s
    ttl = await redis.pttl(limiter.key(1))
    assert 250 < ttl <= 300
    assert abs(decision.reset_at - (time.time() + ttl / 1000)) < 0.05
    await asyncio.sleep(ttl / 1000 + 0.01)
    assert await redis.exists(limiter.key(1)) == 0  # nothing left behind
    assert (await limiter.spend(1, 0, 10, 1)).remaining == 10
    assert await redis.exists(limiter.key(1)) == 0  # and free requests write nothing


# Many processes, one bucket


async def test_parallel_spends_from_four_processes_never_overspend(prefix: str) -> None:
    clients = [shared_redis() for _ in range(4)]  # each its own connection pool
    limiters = [RedisRateLimiter(client, prefix=prefix) for client in clients]
    try:
        decisions = await asyncio.gather(
            *(limiters[i % 4].spend(1, 7, 1000, LONG) for i in range(200))
        )
        after = await limiters[0].spend(1, 0, 1000, LONG)
    finally:
        for client in clients:
            await client.aclose()
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 1000 // 7  # 142: exactly what fits, whatever the interleaving
    assert sorted(d.remaining for d in allowed) == [1000 - 7 * n for n in range(142, 0, -1)]
    assert after.remaining == 1000 - 7 * 142


async def test_parallel_spends_in_process_never_overspend() -> None:
    limiter = LocalRateLimiter()
    decisions = await asyncio.gather(*(limiter.spend(1, 7, 1000, LONG) for _ in range(200)))
    assert sum(d.allowed for d in decisions) == 142


async def test_two_processes_share_one_bucket(prefix: str) -> None:
    first, second = shared_redis(), shared_redis()
    one, other = RedisRateLimiter(first, prefix=prefix), RedisRateLimiter(second, prefix=prefix)
    try:
        assert (await one.spend(5, 6, 10, LONG)).remaining == 4
        assert (await other.spend(5, 4, 10, LONG)).remaining == 0
        assert not (await one.spend(5, 1, 10, LONG)).allowed
        assert (await other.spend(6, 1, 10, LONG)).remaining == 9  # another key, another bucket
    finally:
        await first.aclose()
        await second.aclose()


# Round trips


async def test_a_spend_is_one_round_trip(private_redis: PrivateRedis) -> None:
    client = private_redis.client()
    admin = private_redis.client()
    limiter = RedisRateLimiter(client, local_refusals=False)
    try:
        await limiter.spend(1, 1, 100, LONG)  # the first call loads the script (NOSCRIPT)
        await admin.config_resetstat()
        client.sent.clear()
        for key_id in range(1, 51):
            await limiter.spend(key_id, 3, 100, LONG)
        stats = await admin.info("commandstats")
    finally:
        await client.aclose()
        await admin.aclose()
    assert client.sent == ["EVALSHA"] * 50  # one command sent per spend, nothing else
    assert stats["cmdstat_evalsha"]["calls"] == 50  # and the server ran one script each
    issued = {name for name in stats if name not in {"cmdstat_config|resetstat"}}
    # Every other command was run by the script inside Redis, not sent over the network.
    assert issued == {f"cmdstat_{c}" for c in ("evalsha", "time", "hmget", "hset", "pexpire")}


async def test_a_redis_restart_that_lost_the_script_costs_one_reload(
    private_redis: PrivateRedis,
) -> None:
    client = private_redis.client()
    admin = private_redis.client()
    limiter = RedisRateLimiter(client)
    try:
        assert (await limiter.spend(1, 1, 10, LONG)).remaining == 9
        await admin.script_flush()
        client.sent.clear()
        assert (await limiter.spend(1, 1, 10, LONG)).remaining == 8
        assert client.sent == ["EVALSHA", "SCRIPT LOAD", "EVALSHA"]
    finally:
        await client.aclose()
        await admin.aclose()


async def test_an_exhausted_key_is_refused_without_a_round_trip(
    redis: CountingRedis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, prefix=prefix)
    await limiter.spend(1, 10, 10, 1)
    redis.sent.clear()
    refusals = [await limiter.spend(1, 5, 10, 1) for _ in range(100)]
    assert not any(d.allowed for d in refusals)
    assert redis.sent == []
    waits = [d.retry_after for d in refusals if d.retry_after is not None]
    assert len(waits) == 100
    assert waits == sorted(waits, reverse=True)  # the wait shrinks as time passes
    assert all(d.remaining <= 4 for d in refusals)
    # A local wait is long enough: it counts from when Redis's answer arrived.
    await asyncio.sleep(waits[-1] + 0.001)
    redis.sent.clear()
    assert (await limiter.spend(1, 5, 10, 1)).allowed  # once refilled, Redis is asked again
    assert redis.sent == ["EVALSHA"]


async def test_a_local_refusal_is_one_redis_would_give(redis: CountingRedis, prefix: str) -> None:
    """While the bucket refills, every local refusal finds Redis's bucket short of the cost."""
    limiter = RedisRateLimiter(redis, prefix=prefix)
    reader = redis.register_script(
        "local t = redis.call('TIME') "
        "return {redis.call('HGET', KEYS[1], 'level') or '-1', redis.call('HGET', KEYS[1], 'at'),"
        " t[1] * 1000000 + t[2]}"
    )
    limit, window = 10, 0.5
    window_us = round(window * MICROS)
    local_refusals = 0
    await limiter.spend(1, limit, limit, window)
    finish = time.monotonic() + 2 * window
    while time.monotonic() < finish:
        before = len(redis.sent)
        decided = time.monotonic()
        decision = await limiter.spend(1, 4, limit, window)
        if decision.allowed or len(redis.sent) > before:
            await asyncio.sleep(0.003)
            continue
        local_refusals += 1
        level, at, now = await reader(keys=[limiter.key(1)])
        gap = round((time.monotonic() - decided) * MICROS)  # refill since the decision, at most
        saved = Saved(int(level), int(at), window_us) if int(level) >= 0 else None
        assert level_at(saved, int(now), limit, window_us) - gap * limit < 4 * window_us
        await asyncio.sleep(0.003)
    assert local_refusals > 10


# Failures


async def test_an_unreachable_redis_raises_rate_limiter_unavailable(
    private_redis: PrivateRedis,
) -> None:
    client = private_redis.client()
    limiter = RedisRateLimiter(client, local_refusals=False)
    try:
        assert (await limiter.spend(1, 1, 10, LONG)).allowed
        private_redis.process.kill()
        private_redis.process.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(RateLimiterUnavailable, match="rate limiter unavailable"):
            await limiter.spend(1, 1, 10, LONG)
        with pytest.raises(RateLimiterUnavailable):
            await limiter.spend(2, 1, 10, LONG)  # a new connection is refused too
        assert time.monotonic() - started < 5
    finally:
        await client.aclose()


async def test_local_refusals_outlast_redis_but_nothing_is_allowed_without_it(
    private_redis: PrivateRedis,
) -> None:
    client = private_redis.client()
    limiter = RedisRateLimiter(client)
    try:
        await limiter.spend(1, 10, 10, LONG)
        private_redis.process.kill()
        private_redis.process.wait(timeout=10)
        assert not (await limiter.spend(1, 1, 10, LONG)).allowed  # known empty: no need to ask
        with pytest.raises(RateLimiterUnavailable):
            await limiter.spend(2, 1, 10, LONG)
    finally:
        await client.aclose()


# The in-process table


async def test_the_local_limiter_drops_full_buckets_first() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(max_buckets=10, clock=clock)
    for key_id in range(1, 9):
        await limiter.spend(key_id, 1, 10, 1)
    clock.advance(1)  # keys 1–8 are full again
    for key_id in range(11, 14):
        await limiter.spend(key_id, 5, 10, 1)
    assert len(limiter) == 3
    assert (await limiter.spend(11, 0, 10, 1)).remaining == 5  # the live buckets are kept


async def test_the_local_limiter_stays_bounded_when_every_bucket_is_in_use() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(max_buckets=10, clock=clock)
    for key_id in range(1, 12):
        await limiter.spend(key_id, 5, 10, LONG)
    assert len(limiter) == 9
    # The least recently used were forgotten (their spending forgiven), the rest kept.
    assert (await limiter.spend(1, 0, 10, LONG)).remaining == 10
    assert (await limiter.spend(11, 0, 10, LONG)).remaining == 5
