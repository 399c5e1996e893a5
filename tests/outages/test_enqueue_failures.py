"""Mutations that enqueue a refresh, while Redis is down or refuses writes: committed, they
succeed, and the workers' schedule refreshes what they made due.

`creatoraudit serve` runs against the test's own `redis-server`: killed, limited to
`maxmemory 1` (every write refused with OOM) or turned into a replica of a master that does not
exist (READONLY, as after a failover). Rate limiting is off, so the enqueue itself meets Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync
from aiohttp.test_utils import TestServer
from arq import create_pool
from arq.connections import RedisSettings

from app import models
from app.graphql.ids import encode_id
from app.identifiers import Platform
from app.models import Scope
from app.settings import Settings
from app.simulator.app import WORLD
from app.worker.runner import build_worker
from tests.conftest import GraphQLResponse, Org
from tests.js.api_server import free_port, running_api_server
from tests.outages.services import RedisServer, own_redis
from tests.worker.test_jobs import _track, fast_retries, pointed_at, simulator  # noqa: F401

ERRORS = "userErrors { code message }"
MUTATIONS = {
    "trackAccount": "mutation($h: String!) { trackAccount(platform: TIKTOK, handle: $h)"
    f" {{ created account {{ id }} {ERRORS} }} }}",
    "addVideo": "mutation($u: String!) { addVideo(url: $u)"
    f" {{ created video {{ id }} {ERRORS} }} }}",
    "connectAccount": 'mutation($id: ID!) { connectAccount(id: $id, accessToken: "owner-token")'
    f" {{ account {{ id }} {ERRORS} }} }}",
    "requestRefresh": f"mutation($id: ID!) {{ requestRefresh(id: $id) {{ queued {ERRORS} }} }}",
}
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@contextmanager
def _redis_that(state: str, server: RedisServer) -> Iterator[None]:
    """Redis in `state` for the block: down, out of memory, or read-only; then itself again."""
    if state == "down":
        server.kill()
        yield
        server.start()  # empty: whatever was queued is gone
        return
    client = redis_sync.Redis(port=server.port)
    try:
        if state == "oom":
            client.config_set("maxmemory", 1)  # noeviction (the default): writes refused
        else:
            client.replicaof("127.0.0.1", free_port())  # a replica: writes refused, READONLY
        yield
        if state == "oom":
            client.config_set("maxmemory", 0)
        else:
            client.replicaof("NO", "ONE")
    finally:
        client.close()


async def _not_due_yet(org: Org, platform: Platform, handle: str) -> models.Account:
    """A tracked account refreshed long ago and not due for a year: only a mutation makes it due."""
    account = await _track(org, platform, handle)
    await models.Account.filter(id=account.id).update(
        last_scrape_at=LONG_AGO, next_scrape_at=datetime.now(UTC) + timedelta(days=365)
    )
    return account


async def _post(base_url: str, org: Org, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/graphql",
            json={"query": MUTATIONS[name], "variables": variables},
            headers={"Authorization": f"Bearer {org.keys[Scope.WRITE]}"},
        )
    result = GraphQLResponse.of(response)
    assert result.status == 200, result.body
    assert "errors" not in result.body, result.body
    payload: dict[str, Any] = result.data[name]
    assert payload["userErrors"] == [], payload
    return payload


async def _schedule_once(settings: Settings, sim: TestServer, port: int, queue: str) -> int:
    """Run a burst worker (its schedule runs at start); the number of jobs left queued first."""
    pool = await create_pool(RedisSettings(host="127.0.0.1", port=port))
    try:
        queued = int(await pool.zcard(queue))
        worker = build_worker(
            pointed_at(settings, sim, worker=fast_retries()),
            redis_pool=pool,
            queue_name=queue,
            burst=True,
            handle_signals=False,
            poll_delay=0.05,
            ctx={"orm_ready": True},
        )
        await worker.main()
        await worker.close()
    finally:
        await pool.aclose()
    return queued


@pytest.mark.parametrize("state", ["down", "oom", "readonly"])
async def test_mutations_succeed_when_redis_refuses_the_enqueue_and_the_schedule_does_it(
    state: str,
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    world = simulator.app[WORLD]
    author = world.profile(Platform.TIKTOK, f"author.{org.id}")
    video = world.published_posts(author)[1]
    to_connect = await _not_due_yet(org, Platform.INSTAGRAM, f"connect.{org.id}")
    to_refresh = await _not_due_yet(org, Platform.TIKTOK, f"refresh.{org.id}")
    env = {
        "CREATORAUDIT_QUEUE_NAME": queue,
        "CREATORAUDIT_RATE_LIMIT__ENABLED": "false",  # else refused with 503 before running
        "CREATORAUDIT_TIMEOUTS__REDIS_SECONDS": "2",
    }
    with own_redis(tmp_path) as redis:
        env["CREATORAUDIT_REDIS_URL"] = redis.url
        with running_api_server(database_url, tmp_path, env) as server, _redis_that(state, redis):
            tracked = await _post(server.base_url, org, "trackAccount", {"h": f"new.{org.id}"})
            assert tracked["created"] is True
            added = await _post(
                server.base_url,
                org,
                "addVideo",
                {"u": f"https://www.tiktok.com/embed/v2/{video.media_id}"},
            )
            assert added["created"] is True
            await _post(
                server.base_url, org, "connectAccount", {"id": encode_id("Account", to_connect.id)}
            )
            refreshed = await _post(
                server.base_url, org, "requestRefresh", {"id": encode_id("Account", to_refresh.id)}
            )
            assert refreshed["queued"] is True
            assert server.problems_logged() == []
            warnings = [r for r in server.log_records() if r.get("event") == "outage.started"]
            assert [r["where"] for r in warnings] == ["the API enqueueing a refresh"]  # once
        # Redis takes writes again: nothing was queued, the schedule finds all four due.
        assert await _schedule_once(settings, simulator, redis.port, queue) == 0
    new = await models.Account.get(organization_id=org.id, handle=f"new.{org.id}")
    added_row = await models.Video.get(
        organization_id=org.id, platform_video_id=str(video.media_id)
    )
    for row in (new, added_row):
        assert row.last_scrape_at is not None, row
    for account in (to_connect, to_refresh):
        row = await models.Account.get(id=account.id)
        assert row.last_scrape_at is not None, row
        assert row.last_scrape_at > LONG_AGO, row
