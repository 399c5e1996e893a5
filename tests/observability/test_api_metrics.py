"""API metrics scraped from a real `creatoraudit serve`: requests, errors, rate limits, exposure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from app.models import Scope
from tests.conftest import Org
from tests.js.api_server import free_port, running_api_server
from tests.observability.scrape import Scrape, scrape
from tests.ratelimit.test_http_rate_limit import limit_org

PROBE = "query Probe { viewer { organization { id } } }"
REQUESTS = "creatoraudit_graphql_requests_total"
ERRORS = "creatoraudit_graphql_errors_total"
DURATION = "creatoraudit_graphql_request_duration_seconds_count"
RATE_LIMITED = "creatoraudit_graphql_rate_limited_total"


async def _post(client: httpx.AsyncClient, query: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


def _delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


async def test_a_scrape_counts_requests_by_operation_and_status_errors_and_rate_limits(
    make_org: Callable[[], Awaitable[Org]], database_url: str, tmp_path: Path
) -> None:
    org, limited = await make_org(), await make_org()
    await limit_org(limited, 3)
    port = free_port()
    env = {
        "CREATORAUDIT_METRICS__PORT": str(port),
        "CREATORAUDIT_METRICS__MULTIPROC_DIR": str(tmp_path / "metrics"),
        "CREATORAUDIT_METRICS__MAX_OPERATIONS": "3",
    }
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    with running_api_server(database_url, tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            before = await scrape(metrics_url)
            key = org.keys[Scope.READ]
            for _ in range(3):
                assert (await _post(client, PROBE, key)).status_code == 200
            assert (await _post(client, "{ viewer { apiKey { name } } }", key)).status_code == 200
            assert (await _post(client, PROBE)).status_code == 401
            broken = await _post(client, "query Broken { nope }", key)
            statuses: list[int] = []
            while 429 not in statuses:
                assert len(statuses) < 20, statuses
                statuses.append((await _post(client, PROBE, limited.keys[Scope.READ])).status_code)
            # The cap is 3 names: Probe and two more; later names are "other".
            for name in ("Second", "Third", "Fourth", "Fifth"):
                named = f"query {name} {{ viewer {{ apiKey {{ name }} }} }}"
                assert (await _post(client, named, key)).status_code == 200
            after = await scrape(metrics_url)

    ok = statuses.count(200)
    assert _delta(before, after, REQUESTS, operation="Probe", status="200") == 3 + ok
    assert _delta(before, after, REQUESTS, operation="Probe", status="429") == 1
    assert _delta(before, after, REQUESTS, operation="anonymous", status="200") == 1
    # Refused before an operation was chosen: no key, or a document that does not validate.
    assert _delta(before, after, REQUESTS, operation="unknown", status="401") == 1
    assert _delta(before, after, REQUESTS, operation="unknown", status=str(broken.status_code)) == 1
    assert _delta(before, after, REQUESTS, operation="Second", status="200") == 1
    assert _delta(before, after, REQUESTS, operation="Third", status="200") == 1
    assert _delta(before, after, REQUESTS, operation="other", status="200") == 2
    assert "Fourth" not in after.label_values(REQUESTS, "operation")
    assert _delta(before, after, DURATION, operation="Probe") == 4 + ok
    assert _delta(before, after, ERRORS, code="UNAUTHENTICATED") == 1
    assert _delta(before, after, ERRORS, code="BAD_USER_INPUT") == 1
    assert _delta(before, after, ERRORS, code="RATE_LIMITED") == 1
    assert _delta(before, after, RATE_LIMITED, operation="Probe") == 1
    assert after.value("creatoraudit_graphql_requests_in_progress") == 0


async def _status(url: str) -> int:
    async with httpx.AsyncClient(timeout=10.0) as client:
        return (await client.get(url)).status_code


async def test_metrics_are_never_on_the_api_port_and_only_for_allowed_clients(
    database_url: str, tmp_path: Path
) -> None:
    with running_api_server(database_url, tmp_path / "default") as server:
        assert await _status(f"{server.base_url}/metrics") == 404
    port = free_port()
    env: dict[str, Any] = {
        "CREATORAUDIT_METRICS__PORT": str(port),
        "CREATORAUDIT_METRICS__ALLOW": '["10.0.0.0/8"]',
    }
    with running_api_server(database_url, tmp_path / "enabled", env) as server:
        assert await _status(f"{server.base_url}/metrics") == 404
        assert await _status(f"http://127.0.0.1:{port}/metrics") == 403
        assert await _status(f"http://127.0.0.1:{port}/") == 404
