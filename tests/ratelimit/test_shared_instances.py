"""API processes on one Redis: one budget per key and prefix, never overspent in parallel."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from app import models
from app.models import Scope
from tests.conftest import REDIS_URL, GraphQLResponse, Org, Servers
from tests.js.api_server import SESSION_REDIS_ENV, running_api_server

RATE = "query Rate { rateLimit { limit cost remaining } }"
COSTLY = "{ accounts(first: 99) { nodes { id } } }"  # 100 points


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


async def prepare_with_another_key(org: Org, document: str, *clients: httpx.AsyncClient) -> None:
    for client in clients:
        assert (await post(client, org.keys[Scope.ADMIN], {"query": document})).status == 200


async def test_parallel_requests_on_two_processes_never_overspend(
    org: Org, shared_servers: Servers
) -> None:
    first, second = shared_servers
    await prepare_with_another_key(org, RATE, first, second)
    await models.Organization.filter(id=org.id).update(rate_limit_ceiling=25)
    key = org.keys[Scope.READ]
    requests = [post(shared_servers[i % 2], key, {"query": RATE}) for i in range(80)]
    answers = await asyncio.gather(*requests)
    assert sorted(answer.status for answer in answers) == [200] * 25 + [429] * 55
    left = sorted(int(a.headers["x-ratelimit-remaining"]) for a in answers if a.status == 200)
    assert left == list(range(25))  # every point spent once, by one request
    assert {a.codes[0] for a in answers if a.status == 429} == {"RATE_LIMITED"}


async def test_a_process_with_another_prefix_has_its_own_buckets(
    org: Org, shared_servers: Servers, database_url: str, tmp_path: Path
) -> None:
    prefix = f"creatoraudit-test-{uuid.uuid4().hex}:ratelimit"
    env = {"CREATORAUDIT_REDIS_URL": REDIS_URL, "CREATORAUDIT_RATE_LIMIT__REDIS_PREFIX": prefix}
    first, second = shared_servers
    key = org.keys[Scope.READ]
    row = await models.ApiKey.get(organization_id=org.id, name="read")
    redis = Redis.from_url(REDIS_URL)
    try:
        with running_api_server(database_url, tmp_path, env) as server:
            async with httpx.AsyncClient(base_url=server.base_url) as other:
                await prepare_with_another_key(org, COSTLY, first, second, other)
                await models.Organization.filter(id=org.id).update(rate_limit_ceiling=200)
                spent = await post(first, key, {"query": COSTLY})
                fresh = await post(other, key, {"query": COSTLY})
                shared = await post(second, key, {"query": COSTLY})
        session_prefix = SESSION_REDIS_ENV["CREATORAUDIT_RATE_LIMIT__REDIS_PREFIX"]
        stored = [await redis.exists(f"{p}:{row.id}") for p in (session_prefix, prefix)]
    finally:
        await redis.delete(f"{prefix}:{row.id}")
        await redis.aclose()
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in (spent, fresh, shared)]
    assert remaining == [100, 100, 0]  # the other prefix: a full bucket; the same: shared
    assert stored == [1, 1]
