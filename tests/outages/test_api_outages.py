"""`creatoraudit serve` while PostgreSQL or Redis is down, and after they are back.

PostgreSQL is reached through a TCP proxy the test cuts (every connection closed, new ones
refused) and restores; Redis is a `redis-server` of the test's own that it kills and starts
again on the same port. The shared services are never touched.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from app import models
from app.identifiers import Platform
from app.models import Scope
from tests.conftest import ENGINE, Org
from tests.js.api_server import ApiServer, running_api_server
from tests.outages.services import own_redis, postgres_proxy
from tests.worker.test_jobs import _track, simulator  # noqa: F401  (fixture)

QUERY = "{ organization { name } accounts(first: 5) { edges { node { id } } } }"


async def _ask(client: httpx.AsyncClient, org: Org, request_id: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {org.keys[Scope.READ]}", "X-Request-ID": request_id},
    )


def _assert_unavailable(response: httpx.Response, request_id: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"] == request_id
    assert int(response.headers["retry-after"]) > 0
    body: dict[str, Any] = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]


def _assert_answered(response: httpx.Response, org: Org) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["organization"]["name"] == org.organization.name
    assert response.headers["x-request-id"]


def _outage_lines(server: ApiServer, event: str, service: str) -> list[dict[str, Any]]:
    return [
        r for r in server.log_records() if r.get("event") == event and r.get("service") == service
    ]


@pytest.mark.skipif(ENGINE != "postgres", reason="the TCP proxy stands in front of PostgreSQL")
async def test_a_database_outage_gets_503_json_and_requests_succeed_again_after_it(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    with (
        postgres_proxy(database_url) as (proxy, proxied_url),
        running_api_server(proxied_url, tmp_path) as server,
    ):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            _assert_answered(await _ask(client, org, "before-cut"), org)
            proxy.cut()
            for attempt in range(3):  # every request of the outage, not just the first
                request_id = f"during-cut-{attempt}"
                _assert_unavailable(await _ask(client, org, request_id), request_id)
            proxy.restore()
            # The same process, no restart: its connection pool opens new connections.
            _assert_answered(await _ask(client, org, "after-restore"), org)
        assert server.process.poll() is None
        # One line when the outage started and one when it ended, not one per request.
        assert len(_outage_lines(server, "outage.started", "database")) == 1
        assert len(_outage_lines(server, "outage.ended", "database")) == 1
        assert server.problems_logged() == []


async def test_a_redis_restart_gets_503_json_while_down_and_heals_without_a_restart(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    with (
        own_redis(tmp_path) as redis,
        running_api_server(database_url, tmp_path, {"CREATORAUDIT_REDIS_URL": redis.url}) as server,
    ):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            _assert_answered(await _ask(client, org, "before-kill"), org)
            redis.kill()
            for attempt in range(3):
                request_id = f"redis-down-{attempt}"
                _assert_unavailable(await _ask(client, org, request_id), request_id)
            redis.start()
            # Pooled connections died with the old server; they are reopened transparently.
            _assert_answered(await _ask(client, org, "after-restart"), org)
        assert server.process.poll() is None
        assert len(_outage_lines(server, "outage.started", "redis")) == 1
        assert len(_outage_lines(server, "outage.ended", "redis")) == 1
        assert server.problems_logged() == []


@pytest.mark.skipif(ENGINE != "postgres", reason="the TCP proxy stands in front of PostgreSQL")
async def test_the_embedded_mode_rides_out_a_database_outage_and_refreshes_what_is_due_after_it(
    org: Org,
    database_url: str,
    simulator: TestServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {
        "CREATORAUDIT_EMBEDDED_WORKER": "true",  # no Redis: refreshes run inside `serve`
        "CREATORAUDIT_WORKER__SCHEDULE_EVERY_SECONDS": "0.5",
        "CREATORAUDIT_INSTAGRAM__BASE_URL": str(simulator.make_url("/instagram")),
        "CREATORAUDIT_TIKTOK__BASE_URL": str(simulator.make_url("/tiktok")),
    }
    with (
        postgres_proxy(database_url) as (proxy, proxied_url),
        running_api_server(proxied_url, tmp_path, env) as server,
    ):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            _assert_answered(await _ask(client, org, "before-cut"), org)
            proxy.cut()
            # Due while `serve` cannot reach the database (this test still can).
            account = await _track(org, Platform.TIKTOK, f"embedded.{org.id}")
            _assert_unavailable(await _ask(client, org, "during-cut"), "during-cut")

            async def scheduler_met_it() -> bool:
                return any(
                    r.get("where") == "the embedded worker"
                    for r in _outage_lines(server, "outage.started", "database")
                )

            await _within(scheduler_met_it, server)
            await asyncio.sleep(2)  # the scheduler tries again every 0.5 s meanwhile
            proxy.restore()

            async def refreshed() -> bool:
                row = await models.Account.get(id=account.id)
                return row.last_scrape_at is not None

            await _within(refreshed, server)
            _assert_answered(await _ask(client, org, "after-restore"), org)
        embedded = [
            r
            for r in _outage_lines(server, "outage.started", "database")
            if r.get("where") == "the embedded worker"
        ]
        assert len(embedded) == 1  # once for the outage, not once per scheduler run
        assert server.problems_logged() == []


async def _within(condition: Any, server: ApiServer, seconds: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert server.process.poll() is None, server.log()
        assert asyncio.get_running_loop().time() < deadline, server.log()
        await asyncio.sleep(0.1)
