"""Mutations while the app's Redis is down, or failing half-way: committed ones succeed,
failed ones leave nothing.

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
from tortoise import connections

from app import models
from app.models import Scope
from app.settings import Settings
from app.worker.runner import build_worker
from tests.conftest import ENGINE, GraphQLResponse, Org
from tests.js.api_server import running_api_server
from tests.outages.services import own_redis
from tests.worker.test_jobs import fast_retries, pointed_at, simulator  # noqa: F401  (fixture)

TRACK = (
    "mutation($handle: String!) { trackAccount(platform: TIKTOK, handle: $handle) "
    "{ created account { id handle } userErrors { code message } } }"
)
TRACK_WITH_KEY = (
    "mutation($handle: String!, $key: String) { trackAccount(platform: TIKTOK, "
    "handle: $handle, idempotencyKey: $key) { created userErrors { code } } }"
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


# A real database failure at the last write of a mutation (no mock of our code): a trigger
# refuses the idempotency record of one key, after the account row has been inserted.
_FAIL_KEY = "fail-after-the-account-row"
_TRIGGER = {
    "postgres": (
        "CREATE FUNCTION ca_test_refuse() RETURNS trigger AS $$ BEGIN "
        "IF NEW.key = '{key}' THEN RAISE EXCEPTION 'injected failure'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER ca_test_refuse BEFORE INSERT ON idempotency_record "
        "FOR EACH ROW EXECUTE FUNCTION ca_test_refuse();",
        "DROP TRIGGER ca_test_refuse ON idempotency_record; DROP FUNCTION ca_test_refuse();",
    ),
    "sqlite": (
        "CREATE TRIGGER ca_test_refuse BEFORE INSERT ON idempotency_record "
        "WHEN NEW.key = '{key}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        "DROP TRIGGER ca_test_refuse;",
    ),
}


async def test_a_mutation_that_fails_at_its_last_write_leaves_nothing_behind(org: Org) -> None:
    create, drop = _TRIGGER[ENGINE]
    connection = connections.get("default")
    await connection.execute_script(create.replace("{key}", _FAIL_KEY))
    try:
        failed = await org.gql(TRACK_WITH_KEY, {"handle": f"halfdone.{org.id}", "key": _FAIL_KEY})
        assert failed.codes == ["INTERNAL_SERVER_ERROR"]
        # The account row was inserted before the failure, and rolled back with it.
        assert not await models.Account.filter(handle=f"halfdone.{org.id}").exists()
    finally:
        await connection.execute_script(drop)
    # The same request, retried, now succeeds once.
    retried = await org.gql(TRACK_WITH_KEY, {"handle": f"halfdone.{org.id}", "key": _FAIL_KEY})
    assert retried.data["trackAccount"]["created"] is True
    assert await models.Account.filter(handle=f"halfdone.{org.id}").count() == 1
