"""Cost-based rate limiting over HTTP: headers, 429, the rateLimit field, shared budgets."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from app import models
from app.models import Scope
from tests.conftest import GraphQLResponse, Org, Servers
from tests.js.api_server import running_api_server

VIEWER = "query Viewer { viewer { apiKey { name } } }"
RATE = "query Rate { rateLimit { limit cost remaining resetAt } }"
TRACK_OVER_GET = 'mutation { trackAccount(platform: TIKTOK, handle: "x") { created } }'


async def limit_org(org: Org, points: int) -> None:
    """Give the organization's keys `points` per window (the operator's ceiling)."""
    await models.Organization.filter(id=org.id).update(rate_limit_ceiling=points)


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


def remaining(response: GraphQLResponse) -> int:
    return int(response.headers["x-ratelimit-remaining"])


async def test_every_authenticated_response_carries_the_headers(org: Org) -> None:
    key = org.keys[Scope.READ]
    over_get = await org.client.get(
        "/graphql", params={"query": TRACK_OVER_GET}, headers={"Authorization": f"Bearer {key}"}
    )
    answers = [
        await post(org.client, key, {"query": VIEWER}),
        await post(org.client, key, {"query": "{ nope }"}),
        await post(org.client, key, {"query": "{ viewer { "}),
        await post(org.client, key, {}),
        await post(org.client, key, {"documentId": "missing"}),
        GraphQLResponse.of(over_get),
    ]
    assert [a.status for a in answers] == [200, 200, 200, 400, 404, 405]
    for answer in answers:
        assert int(answer.headers["x-ratelimit-limit"]) == 100_000
        assert 0 <= remaining(answer) < 100_000
        assert int(answer.headers["x-ratelimit-reset"]) >= int(time.time())
    anonymous = await org.client.post("/graphql", json={"query": VIEWER})
    assert anonymous.status_code == 401
    assert "x-ratelimit-limit" not in anonymous.headers


async def warm(client: httpx.AsyncClient, org: Org, *documents: str) -> None:
    """Prepare documents in an API process with another key (buckets are per key)."""
    for document in documents:
        assert (await post(client, org.keys[Scope.ADMIN], {"query": document})).status == 200


async def test_rate_limit_field_extensions_and_headers_agree(org: Org) -> None:
    document = f"# {uuid.uuid4()}\n{RATE}"
    for preparation in (True, False):
        result = await post(org.client, org.keys[Scope.READ], {"query": document})
        field = result.data["rateLimit"]
        assert result.extensions is not None
        cost = result.extensions["cost"]
        assert cost["requested"] == 1
        assert (cost["preparation"] > 0) is preparation
        assert field["cost"] == cost["requested"] + cost["preparation"]
        assert field["limit"] == cost["limit"] == int(result.headers["x-ratelimit-limit"])
        assert field["remaining"] == cost["remaining"] == remaining(result)
        assert field["resetAt"] == cost["resetAt"]
        assert cost["actual"] <= cost["requested"]


async def test_over_budget_is_429_and_nothing_executes(org: Org) -> None:
    await limit_org(org, 25)
    key = org.keys[Scope.WRITE]
    track = 'mutation { trackAccount(platform: TIKTOK, handle: "ratelimited") { created } }'
    spent = await post(org.client, key, {"query": VIEWER})
    while remaining(spent) >= 11:  # a mutation costs 10 and more
        spent = await post(org.client, key, {"query": VIEWER})
    refused = await post(org.client, key, {"query": track})
    assert refused.status == 429
    assert refused.codes == ["RATE_LIMITED"]
    assert "data" not in refused.body
    assert int(refused.headers["retry-after"]) >= 1
    assert remaining(refused) == remaining(spent)
    assert await models.Account.filter(organization_id=org.id).count() == 0


async def test_an_operation_costlier_than_the_maximum_is_too_complex(org: Org) -> None:
    query = (
        "{ accounts(first: 200) { nodes { videos(first: 200) { nodes { metrics(window: "
        "{preset: D7}) { views } } } } } }"
    )
    result = await post(org.client, org.keys[Scope.READ], {"query": query})
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    details = result.errors[0]["extensions"]
    assert details["cost"] > details["maxCost"] == 25_000
    assert "data" not in result.body


async def test_parallel_requests_never_overspend(org: Org) -> None:
    key = org.keys[Scope.READ]
    await warm(org.client, org, RATE)
    await limit_org(org, 20)
    answers = await asyncio.gather(*(post(org.client, key, {"query": RATE}) for _ in range(60)))
    assert sorted(a.status for a in answers) == [200] * 20 + [429] * 40


async def test_two_api_processes_spend_one_budget_through_redis(
    org: Org, shared_servers: Servers
) -> None:
    key = org.keys[Scope.READ]
    first, second = shared_servers
    await warm(first, org, RATE)
    await warm(second, org, RATE)
    await limit_org(org, 12)
    statuses = []
    for index in range(16):
        client = first if index % 2 == 0 else second
        statuses.append((await post(client, key, {"query": RATE})).status)
    assert statuses == [200] * 12 + [429] * 4


async def test_without_redis_each_process_has_its_own_bucket(
    org: Org, embedded_servers: Servers
) -> None:
    key = org.keys[Scope.READ]
    first, second = embedded_servers
    await warm(first, org, RATE)
    await warm(second, org, RATE)
    await limit_org(org, 3)
    assert [(await post(first, key, {"query": RATE})).status for _ in range(4)] == [200] * 3 + [429]
    assert (await post(second, key, {"query": RATE})).status == 200


async def test_a_disabled_limiter_sends_no_headers(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    env = {"CREATORAUDIT_RATE_LIMIT__ENABLED": "false"}
    with running_api_server(database_url, tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            result = await post(client, org.keys[Scope.READ], {"query": RATE})
    assert result.data == {"rateLimit": None}
    assert "x-ratelimit-limit" not in result.headers
    assert result.extensions is None


SET_RATE = (
    "mutation($p: Int) { setRateLimit(points: $p) { rateLimitPolicy { points } "
    "userErrors { code } } }"
)
PAGE = "{ accounts(first: 199) { nodes { id } } }"  # 200 points
TWO_PAGES = "{ a: accounts(first: 200) { nodes { id } } b: accounts(first: 200) { nodes { id } } }"


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CREATORAUDIT_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**env, "CREATORAUDIT_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_set_rate_limit_changes_the_limit_enforced_on_the_next_request(org: Org) -> None:
    key = org.keys[Scope.READ]
    await warm(org.client, org, PAGE)
    chosen = (await org.gql(SET_RATE, {"p": 500})).data["setRateLimit"]
    assert chosen == {"rateLimitPolicy": {"points": 500}, "userErrors": []}
    answers = [await post(org.client, key, {"query": PAGE}) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"500"}
    assert answers[2].errors[0]["extensions"]["limit"] == 500
    await org.gql(SET_RATE, {"p": None})
    restored = await post(org.client, org.keys[Scope.WRITE], {"query": PAGE})
    assert (restored.status, restored.headers["x-ratelimit-limit"]) == (200, "100000")


async def test_the_operator_ceiling_is_the_limit_enforced_on_the_next_request(
    org: Org, database_url: str
) -> None:
    key = org.keys[Scope.READ]
    await warm(org.client, org, TWO_PAGES)
    assert (await post(org.client, key, {"query": TWO_PAGES})).status == 200  # 402 points
    done = run_cli(database_url, "org", "rate-limit", str(org.id), "--ceiling", "300")
    assert done.returncode == 0, done.stderr
    refused = await post(org.client, key, {"query": TWO_PAGES})
    assert (refused.status, refused.codes) == (429, ["RATE_LIMITED"])
    assert refused.headers["x-ratelimit-limit"] == "300"
    assert "whole budget of 300" in refused.errors[0]["message"]
    assert (await post(org.client, key, {"query": RATE})).headers["x-ratelimit-limit"] == "300"
