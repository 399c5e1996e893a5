"""A document an API process has not prepared yet is charged its preparation, refused or not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from app import models
from app.graphql.prepared import prepare
from app.graphql.schema import schema
from app.models import Scope
from app.services.trusted_documents import sha256_hex
from app.settings import LimitSettings
from tests.conftest import GraphQLResponse, Org
from tests.js.api_server import running_api_server

VIEWER = "{ viewer { apiKey { id name } organization { id name } } }"
# Valid syntax, 40 fields that do not exist: validated, then refused.
INVALID = "{ viewer { " + " ".join(f"nope{i}" for i in range(40)) + " } }"


def unique(document: str) -> str:
    return f"# {uuid.uuid4()}\n{document}"


def points_of(text: str) -> int:
    """What preparing `text` is charged, from the app's own measure of the work."""
    return prepare(text, sha256_hex(text), schema._schema, LimitSettings()).work.points


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


@pytest.fixture(scope="module")
async def client(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """`creatoraudit serve` with buckets refilling slowly: at a ceiling of 1,000 points, one
    point in 40 s, so what a request spent shows in X-RateLimit-Remaining (to one point)."""
    env = {"CREATORAUDIT_RATE_LIMIT__WINDOW_SECONDS": "40000"}
    with running_api_server(database_url, tmp_path_factory.mktemp("slow-refill"), env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as instance:
            yield instance


@pytest.fixture
async def org(make_org: Callable[..., Awaitable[Org]]) -> Org:
    """An organization whose keys hold 1,000 points."""
    made: Org = await make_org()
    await models.Organization.filter(id=made.id).update(rate_limit_ceiling=1000)
    return made


def near(spent: int, expected: int) -> bool:
    """`spent` as the headers show it: the refill during the request may hide one point."""
    return expected - 1 <= spent <= expected


def remaining(response: GraphQLResponse) -> int:
    return int(response.headers["x-ratelimit-remaining"])


async def spent_by(
    client: httpx.AsyncClient, key: str, body: dict[str, Any]
) -> tuple[int, GraphQLResponse]:
    before = remaining(await post(client, key, {"query": "{ __typename }"}))
    answer = await post(client, key, body)
    return before - remaining(answer), answer


async def test_a_refused_new_document_costs_its_preparation_then_one_point(
    org: Org, client: httpx.AsyncClient
) -> None:
    key = org.keys[Scope.READ]
    text = unique(INVALID)
    expected = points_of(text)
    assert expected > 40  # 40 fields validated
    first, answer = await spent_by(client, key, {"query": text})
    assert answer.codes
    assert set(answer.codes) == {"BAD_USER_INPUT"}
    assert "data" not in answer.body
    assert near(first, expected)
    again, _ = await spent_by(client, key, {"query": text})
    assert near(again, 1)  # the verdict was kept: nothing prepared again


async def test_an_admitted_new_document_costs_its_cost_plus_its_preparation(
    org: Org, client: httpx.AsyncClient
) -> None:
    key = org.keys[Scope.READ]
    text = unique(VIEWER)
    first, answer = await spent_by(client, key, {"query": text})
    assert answer.extensions is not None
    cost = answer.extensions["cost"]
    assert cost["preparation"] == points_of(text) > 1
    assert cost["requested"] == 3
    assert near(first, cost["requested"] + cost["preparation"])
    again, repeated = await spent_by(client, key, {"query": text})
    assert repeated.extensions is not None
    assert repeated.extensions["cost"]["preparation"] == 0
    assert near(again, repeated.extensions["cost"]["requested"])


async def test_a_document_over_the_token_cap_costs_the_tokens_read(
    org: Org, client: httpx.AsyncClient
) -> None:
    key = org.keys[Scope.READ]
    text = unique("{ " + " ".join("viewer { apiKey { id } }" for _ in range(700)) + " }")
    spent, answer = await spent_by(client, key, {"query": text})
    assert answer.codes == ["QUERY_TOO_COMPLEX"]
    assert points_of(text) >= LimitSettings().max_tokens // 4
    assert near(spent, points_of(text))


async def test_an_exhausted_key_is_refused_before_its_document_is_prepared(
    org: Org, client: httpx.AsyncClient
) -> None:
    key = org.keys[Scope.READ]
    costly = {"query": "{ accounts(first: 199) { nodes { id } } }"}  # 200 points
    while (await post(client, key, costly)).status == 200:
        pass
    while (await post(client, key, {"query": "{ __typename }"})).status == 200:
        pass
    text = unique(INVALID)
    refused = await post(client, key, {"query": text})
    assert (refused.status, refused.codes) == (429, ["RATE_LIMITED"])
    # Another key of the organization is the first to have the document prepared.
    other = await post(client, org.keys[Scope.WRITE], {"query": unique(VIEWER)})
    assert other.status == 200
    spent, _ = await spent_by(client, org.keys[Scope.ADMIN], {"query": text})
    assert near(spent, points_of(text))
