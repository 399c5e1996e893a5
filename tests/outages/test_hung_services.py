"""`creatoraudit serve` while Redis or PostgreSQL accepts connections but never answers.

A hung service is worse than a stopped one: nothing is refused, so only a timeout ends the wait.
Redis is the test's own `redis-server`, SIGSTOPped and SIGCONTed; PostgreSQL is reached through
the TCP proxy, stalled (connections accepted and held, nothing forwarded) and restored.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer

from app.identifiers import Platform
from app.settings import Settings
from app.worker.jobs import Kind, enqueue_refresh
from tests.conftest import ENGINE, Org
from tests.js.api_server import ApiServer, running_api_server
from tests.outages.services import own_redis, postgres_proxy
from tests.outages.test_api_outages import (
    _ask,
    _assert_answered,
    _assert_unavailable,
    _outage_lines,
)
from tests.outages.test_worker_outages import _pool, _refreshed, _until, running_worker
from tests.worker.test_jobs import _track, pointed_at, simulator  # noqa: F401  (fixture)

# A statement over 1 s is cancelled (taking up to 1 s more), a Redis command waits 1 s.
TIMEOUTS = {
    "CREATORAUDIT_TIMEOUTS__REDIS_SECONDS": "1",
    "CREATORAUDIT_TIMEOUTS__DATABASE_CONNECT_SECONDS": "1",
    "CREATORAUDIT_TIMEOUTS__DATABASE_STATEMENT_SECONDS": "1",
}
# What a client may wait for its 503 with those timeouts (twice the statement timeout, slack).
BOUND_SECONDS = 5.0


async def _refused_quickly(client: httpx.AsyncClient, org: Org, request_id: str) -> None:
    started = time.monotonic()
    response = await _ask(client, org, request_id)
    elapsed = time.monotonic() - started
    _assert_unavailable(response, request_id)
    assert elapsed < BOUND_SECONDS, f"503 after {elapsed:.1f} s"


async def _not_ready_quickly(client: httpx.AsyncClient, failed: str) -> None:
    started = time.monotonic()
    response = await client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["checks"][failed].startswith("error"), response.text
    assert elapsed < BOUND_SECONDS, f"/readyz after {elapsed:.1f} s"


def _one_outage(server: ApiServer, service: str) -> None:
    assert server.process.poll() is None
    assert len(_outage_lines(server, "outage.started", service)) == 1, server.log()
    assert len(_outage_lines(server, "outage.ended", service)) == 1, server.log()
    assert server.problems_logged() == []


async def test_a_hung_redis_gets_503_within_the_timeout_and_heals_when_it_answers(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    with own_redis(tmp_path) as redis:
        env = {**TIMEOUTS, "CREATORAUDIT_REDIS_URL": redis.url}
        with running_api_server(database_url, tmp_path, env) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
                _assert_answered(await _ask(client, org, "before-pause"), org)
                redis.pause()
                try:
                    for attempt in range(2):  # the rate limiter's Redis call times out
                        await _refused_quickly(client, org, f"redis-hung-{attempt}")
                    await _not_ready_quickly(client, "redis")
                finally:
                    redis.resume()
                _assert_answered(await _ask(client, org, "after-resume"), org)
                assert (await client.get("/readyz")).status_code == 200
            _one_outage(server, "redis")


@pytest.mark.skipif(ENGINE != "postgres", reason="the TCP proxy stands in front of PostgreSQL")
async def test_a_hung_database_gets_503_within_the_timeout_and_heals_when_it_answers(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    with (
        postgres_proxy(database_url) as (proxy, proxied_url),
        running_api_server(proxied_url, tmp_path, TIMEOUTS) as server,
    ):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            _assert_answered(await _ask(client, org, "before-stall"), org)
            proxy.stall()
            try:
                for attempt in range(2):  # pooled connections and new ones alike
                    await _refused_quickly(client, org, f"database-hung-{attempt}")
                await _not_ready_quickly(client, "database")
            finally:
                proxy.restore()
            _assert_answered(await _ask(client, org, "after-restore"), org)
            assert (await client.get("/readyz")).status_code == 200
        _one_outage(server, "database")


async def test_the_worker_waits_out_a_hung_redis_and_works_after_it(
    org: Org,
    settings: Settings,
    database_url: str,
    simulator: TestServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator)
    with own_redis(tmp_path) as redis:
        async with running_worker(
            configured, database_url, redis.url, queue, tmp_path, TIMEOUTS
        ) as worker:
            await _until(_refreshed(await _track(org, Platform.TIKTOK, f"pre.{org.id}")), worker)
            redis.pause()
            try:

                async def noticed() -> bool:  # the poll's command timed out: an outage
                    return bool(worker.outage_lines("outage.started", "redis", "the worker"))

                await _until(noticed, worker)
                await asyncio.sleep(2)  # pings time out meanwhile
                worker.assert_alive()
            finally:
                redis.resume()
            enqueued = await _track(org, Platform.TIKTOK, f"after.{org.id}")
            async with _pool(redis) as pool:
                await enqueue_refresh(pool, queue, Kind.PROFILE, "TIKTOK", enqueued.handle)
            await _until(_refreshed(enqueued), worker)

            async def ended() -> bool:  # logged after the first whole poll that works, which
                # may come after the job it started has finished (a later call of that poll
                # can still meet the connection the pause broke)
                return bool(worker.outage_lines("outage.ended", "redis", "the worker"))

            await _until(ended, worker)
            assert len(worker.outage_lines("outage.ended", "redis", "the worker")) == 1
            assert not [r for r in worker.records() if r.get("level") in ("ERROR", "CRITICAL")]
