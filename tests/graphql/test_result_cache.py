"""The result cache: repeated reads skip execution; keys, bounds and exclusions hold."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette

from app import models
from app.graphql.rate_limiting import RateGate
from app.graphql.result_cache import ResultCache
from app.identifiers import Platform
from app.models import Scope
from app.services.rate_limit import LocalRateLimiter
from app.settings import Settings
from tests.conftest import Org, count_statements
from tests.graphql.result_cache_support import (
    HIT_STATEMENTS,
    answer_bytes,
    read,
    replaced_state,
    warm,
)
from tests.persisted.test_trusted_documents import trusted

DASHBOARD = """
query Dashboard($window: WindowInput!, $first: Int!) {
  organization { name metrics(window: $window) { views likes followers coverage } }
  accounts(first: $first, orderBy: {field: ADDED_AT, direction: ASC}) {
    totalCount
    nodes {
      handle followers
      metrics(window: $window) { views followersChange }
      series(window: $window) { dates views followers }
      comparison(window: $window) { views { current previous change } }
    }
  }
}
"""
D7 = {"window": {"preset": "D7"}, "first": 10}


async def _seed(org: Org, count: int = 3) -> None:
    await models.Account.bulk_create(
        [
            models.Account(
                organization_id=org.id, platform=Platform.TIKTOK, handle=f"cached{i}", followers=i
            )
            for i in range(count)
        ]
    )


async def test_a_repeated_query_sends_only_the_authentication_statement(org: Org) -> None:
    await _seed(org)
    first = await read(org, DASHBOARD, D7)
    assert first.statements > HIT_STATEMENTS
    second = await read(org, DASHBOARD, D7)
    assert second.statements == HIT_STATEMENTS
    assert second.body == first.body  # byte for byte, `extensions` aside
    assert len(second.data["accounts"]["nodes"]) == 3


async def test_a_cached_answer_is_still_costed_and_rate_limited(
    settings: Settings, api: tuple[Starlette, httpx.AsyncClient], org: Org
) -> None:
    limits = settings.rate_limit.model_copy(update={"points": 20, "window_seconds": 3600})
    gate = RateGate(LocalRateLimiter(), settings.model_copy(update={"rate_limit": limits}))
    query = "{ accounts(first: 5) { totalCount nodes { handle } } }"
    headers = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    # Prepared once by another key, so no request below pays the preparation of a new document.
    other = {"Authorization": f"Bearer {org.keys[Scope.WRITE]}"}
    assert (await org.client.post("/graphql", json={"query": query}, headers=other)).is_success
    with replaced_state(api[0], rate_gate=gate):
        responses = [
            await org.client.post("/graphql", json={"query": query}, headers=headers)
            for _ in range(3)
        ]
    first, second = (orjson.loads(r.content)["extensions"]["cost"] for r in responses[:2])
    assert second["requested"] == first["requested"] == 7
    assert second["actual"] == first["actual"]
    assert (first["remaining"], second["remaining"]) == (13, 6)
    assert [r.headers["x-ratelimit-remaining"] for r in responses[:2]] == ["13", "6"]
    assert responses[2].status_code == 429  # a cached answer is refused like any other


async def test_keys_organizations_and_variables_never_share_an_answer(
    make_org: Callable[[], Awaitable[Org]],
) -> None:
    first, second = await make_org(), await make_org()
    query = "{ viewer { organization { name } apiKey { name } } accounts { totalCount } }"
    assert (await warm(first, query))["viewer"]["apiKey"]["name"] == "read"
    other_key = await read(first, query, scope=Scope.WRITE)
    assert not other_key.hit
    assert other_key.data["viewer"]["apiKey"]["name"] == "write"
    other_org = await read(second, query)
    assert not other_org.hit
    assert other_org.data["viewer"]["organization"]["name"] == second.organization.name
    await _seed(first)
    paged = "query($first: Int!) { accounts(first: $first) { nodes { handle } } }"
    assert len((await warm(first, paged, {"first": 1}))["accounts"]["nodes"]) == 1
    two = await read(first, paged, {"first": 2})
    assert not two.hit
    assert len(two.data["accounts"]["nodes"]) == 2


async def test_variables_are_keyed_in_canonical_order(org: Org) -> None:
    query = (
        "query($a: Int!, $b: Int!) "
        "{ x: accounts(first: $a) { totalCount } y: accounts(first: $b) { totalCount } }"
    )
    await warm(org, query, {"a": 1, "b": 2})
    assert (await read(org, query, {"b": 2, "a": 1})).hit


async def test_each_operation_of_a_document_has_its_own_answer(org: Org) -> None:
    text = (
        "query A { viewer { apiKey { name } } accounts { totalCount } } "
        "query B { organization { name } accounts { totalCount } }"
    )
    bodies: dict[str, list[tuple[int, Any]]] = {}
    for name in ("A", "B", "A", "B"):
        with count_statements() as statements:
            response = await org.client.post(
                "/graphql",
                json={"query": text, "operationName": name},
                headers={"Authorization": f"Bearer {org.keys[Scope.READ]}"},
            )
        bodies.setdefault(name, []).append((len(statements), response.json()["data"]))
    count = {"totalCount": 0}
    assert bodies["A"][0][0] > HIT_STATEMENTS
    assert bodies["B"][0][0] > HIT_STATEMENTS
    assert bodies["A"][1] == (
        HIT_STATEMENTS,
        {"viewer": {"apiKey": {"name": "read"}}, "accounts": count},
    )
    assert bodies["B"][1] == (
        HIT_STATEMENTS,
        {"organization": {"name": org.organization.name}, "accounts": count},
    )


async def test_the_next_utc_day_never_shares_an_answer(
    settings: Settings, api: tuple[Starlette, httpx.AsyncClient], org: Org
) -> None:
    today = [date(2030, 1, 1)]
    # Only the clock the cache keys on moves: the resolvers' own "today" stays the real one.
    cache = ResultCache(settings.result_cache_bytes, today=lambda: today[0])
    query = "{ organization { metrics(window: {preset: D7}) { views } } }"
    with replaced_state(api[0], result_cache=cache):
        await warm(org, query)
        today[0] += timedelta(days=1)
        assert not (await read(org, query)).hit
        assert (await read(org, query)).hit


async def test_rate_limit_documents_are_never_cached(org: Org) -> None:
    for query in (
        "{ rateLimit { remaining } accounts { totalCount } }",
        "{ ... on Query { rateLimit { cost } } accounts { totalCount } }",
        "query { ...B } fragment B on Query { rateLimit { remaining } accounts { totalCount } }",
    ):
        first, second = await read(org, query), await read(org, query)
        assert first.statements == second.statements > HIT_STATEMENTS, query
        assert second.data["rateLimit"] is not None


async def test_answers_with_errors_are_never_cached(org: Org) -> None:
    query = "{ accounts(first: 1) { totalCount } bad: accounts(first: 500) { totalCount } }"
    for _ in range(2):
        with count_statements() as statements:
            response = await org.gql(query)
        assert response.codes == ["BAD_USER_INPUT"]
        assert len(statements) > HIT_STATEMENTS


async def test_a_cached_answer_keeps_its_etag_and_304(org: Org) -> None:
    text = f"# {uuid.uuid4()}\nquery Count {{ accounts {{ totalCount }} }}"
    document_id = await trusted(text)
    headers = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    first = await org.client.get("/graphql", params={"documentId": document_id}, headers=headers)
    etag = first.headers["etag"]
    with count_statements() as statements:
        again = await org.client.get(
            "/graphql",
            params={"documentId": document_id},
            headers={**headers, "If-None-Match": etag},
        )
    assert (again.status_code, again.headers["etag"]) == (304, etag)
    assert len(statements) == HIT_STATEMENTS
    plain = await org.client.get("/graphql", params={"documentId": document_id}, headers=headers)
    assert (plain.headers["etag"], answer_bytes(plain.content)) == (
        etag,
        answer_bytes(first.content),
    )


async def test_the_byte_budget_evicts_the_least_recently_used(
    api: tuple[Starlette, httpx.AsyncClient], org: Org
) -> None:
    budget = 16 * 1024
    cache = ResultCache(budget)
    query = "query($n: Int!) { accounts(first: $n) { totalCount } }"
    with replaced_state(api[0], result_cache=cache):
        await warm(org, query, {"n": 1})
        for n in range(2, 60):
            await read(org, query, {"n": n})
            assert cache.bytes <= budget
        assert 0 < len(cache) < 58
        assert not (await read(org, query, {"n": 1})).hit  # the oldest went first
        assert (await read(org, query, {"n": 59})).hit
        series = "series(window: {preset: D90}) { dates views likes comments }"
        big = "{ organization { " + " ".join(f"s{i}: {series}" for i in range(3)) + " } }"
        await read(org, big)
        assert not (await read(org, big)).hit  # over a quarter of the budget: never stored


async def test_a_disabled_cache_executes_every_time(
    api: tuple[Starlette, httpx.AsyncClient], org: Org
) -> None:
    await _seed(org)
    with replaced_state(api[0], result_cache=None):  # what create_app does with 0 bytes
        first, second = await read(org, DASHBOARD, D7), await read(org, DASHBOARD, D7)
    assert second.statements == first.statements > HIT_STATEMENTS
    assert second.body == first.body
