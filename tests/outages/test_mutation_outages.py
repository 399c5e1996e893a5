"""Mutations while the app's Redis is down: committed ones succeed, failed ones leave nothing.

`creatoraudit serve` runs against the test's own `redis-server`, which the test kills; the
refresh the mutation could not enqueue is enqueued later by the workers' schedule.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer
from arq import create_pool
from arq.connections import RedisSettings

from app import models
from app.models import Scope
from app.settings import Settings
from app.worker.runner import build_worker
from tests.conftest import GraphQLResponse, Org
from tests.js.api_server import running_api_server
from tests.outages.services import own_redis
from tests.worker.test_jobs import fast_retries, pointed_at, simulator  # noqa: F401  (fixture)

TRACK = (
    "mutation($handle: String!) { trackAccount(platform: TIKTOK, handle: $handle) "
    "{ created account { id handle } userErrors { code message } } }"
)


async def _track(base_url: str, org: Org, handle: str) -> GraphQLResponse:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/graphql",
            json={"query": TRACK, "variables": {"handle": handle}},
            headers={"Authorization": f"Bearer {org.keys[Scope.WRITE]}"},
        )
    return GraphQLResponse.of(response)


async def test_track_account_with_redis_down_succeeds_and_the_schedule_enqueues_it_later(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    handle = f"redisdown.{org.id}"
    with own_redis(tmp_path) as redis:
        env = {
            "CREATORAUDIT_REDIS_URL": redis.url,
            "CREATORAUDIT_QUEUE_NAME": queue,
            # The rate limiter lives in Redis too and refuses everything while it is down
            # (the next test); here the mutation itself must meet the outage.
            "CREATORAUDIT_RATE_LIMIT__ENABLED": "false",
        }
        with running_api_server(database_url, tmp_path, env) as server:
            redis.kill()
            response = await _track(server.base_url, org, handle)
            assert server.problems_logged() == []
            assert response.status == 200
            payload = response.data["trackAccount"]
            assert payload["created"] is True
            assert payload["userErrors"] == []
            assert payload["account"]["handle"] == handle
            row = await models.Account.get(organization_id=org.id, handle=handle)
            assert row.last_scrape_at is None  # committed, due, and never enqueued

            redis.start()  # empty: the enqueue really was lost
            pool = await create_pool(RedisSettings(host="127.0.0.1", port=redis.port))
            try:
                assert await pool.zcard(queue) == 0
                # The workers' schedule (run at start, then every minute) finds it due.
                worker = build_worker(
                    pointed_at(settings, simulator, worker=fast_retries()),
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
            refreshed = await models.Account.get(id=row.id)
            assert refreshed.last_scrape_at is not None


async def test_a_mutation_refused_while_redis_is_down_leaves_nothing_behind(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    handle = f"refused.{org.id}"
    with own_redis(tmp_path) as redis:
        env = {"CREATORAUDIT_REDIS_URL": redis.url}
        with running_api_server(database_url, tmp_path, env) as server:
            redis.kill()
            response = await _track(server.base_url, org, handle)
            assert response.status == 503
            assert response.codes == ["SERVICE_UNAVAILABLE"]
            assert int(response.headers["retry-after"]) > 0
            assert response.headers["x-request-id"]
            assert not await models.Account.filter(handle=handle).exists()
