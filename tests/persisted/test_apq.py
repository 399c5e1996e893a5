"""Automatic persisted queries (Apollo protocol) over POST and GET, in Redis and in memory."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import orjson

from app.models import Scope
from tests.conftest import GraphQLResponse, Org, Servers


def unique_viewer() -> str:
    """A document no process has seen (the comment makes its hash new)."""
    return f"# {uuid.uuid4()}\nquery Viewer {{ viewer {{ apiKey {{ name }} }} }}"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


async def get(
    client: httpx.AsyncClient, key: str, params: dict[str, str], **headers: str
) -> httpx.Response:
    return await client.get(
        "/graphql", params=params, headers={"Authorization": f"Bearer {key}", **headers}
    )


async def test_post_unknown_hash_then_register_then_hash_alone(org: Org) -> None:
    key = org.keys[Scope.READ]
    text = unique_viewer()
    missing = await post(org.client, key, {"extensions": apq(sha(text))})
    assert missing.status == 200
    assert missing.errors == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    assert "data" not in missing.body
    registered = await post(org.client, key, {"query": text, "extensions": apq(sha(text))})
    assert registered.data == {"viewer": {"apiKey": {"name": "read"}}}
    again = await post(org.client, key, {"extensions": apq(sha(text))})
    assert again.data == registered.data


async def test_a_hash_that_does_not_match_the_text_is_refused_and_not_registered(org: Org) -> None:
    key = org.keys[Scope.READ]
    text, other = unique_viewer(), unique_viewer()
    mismatch = await post(org.client, key, {"query": text, "extensions": apq(sha(other))})
    assert mismatch.status == 400
    assert mismatch.codes == ["BAD_USER_INPUT"]
    assert (await post(org.client, key, {"extensions": apq(sha(other))})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]


async def test_malformed_persisted_query_extensions_are_bad_user_input(org: Org) -> None:
    key = org.keys[Scope.READ]
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": sha("x")}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": "yes"},
    ):
        result = await post(org.client, key, {"extensions": extensions})
        assert (result.status, result.codes) == (400, ["BAD_USER_INPUT"]), extensions


async def test_invalid_documents_are_not_registered(org: Org, shared_servers: Servers) -> None:
    key = org.keys[Scope.READ]
    text = f"# {uuid.uuid4()}\n{{ nope }}"
    first, second = shared_servers
    invalid = await post(first, key, {"query": text, "extensions": apq(sha(text))})
    assert invalid.codes == ["BAD_USER_INPUT"]
    # The process that checked it remembers the verdict; another must not find it registered.
    assert (await post(second, key, {"extensions": apq(sha(text))})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]


async def test_get_with_hash_only_and_a_browser_accept_header_runs_the_query(org: Org) -> None:
    key = org.keys[Scope.READ]
    text = unique_viewer()
    await post(org.client, key, {"query": text, "extensions": apq(sha(text))})
    params = {"extensions": orjson.dumps(apq(sha(text))).decode(), "operationName": "Viewer"}
    response = await get(org.client, key, params, Accept="text/html,*/*;q=0.8")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"] == {"viewer": {"apiKey": {"name": "read"}}}


async def test_get_registers_and_runs_like_post(org: Org) -> None:
    key = org.keys[Scope.READ]
    text = unique_viewer()
    hashed = {"extensions": orjson.dumps(apq(sha(text))).decode()}
    assert (await get(org.client, key, hashed)).json()["errors"][0]["message"] == (
        "PersistedQueryNotFound"
    )
    registered = await get(org.client, key, {**hashed, "query": text})
    assert registered.json()["data"] == {"viewer": {"apiKey": {"name": "read"}}}
    assert (await get(org.client, key, hashed)).json()["data"] == registered.json()["data"]


async def test_registrations_are_shared_by_api_processes_through_redis(
    org: Org, shared_servers: Servers
) -> None:
    key = org.keys[Scope.READ]
    text = unique_viewer()
    first, second = shared_servers
    assert (await post(second, key, {"extensions": apq(sha(text))})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]
    await post(first, key, {"query": text, "extensions": apq(sha(text))})
    from_second = await post(second, key, {"extensions": apq(sha(text))})
    assert from_second.data == {"viewer": {"apiKey": {"name": "read"}}}


async def test_without_redis_registrations_stay_in_the_process(
    org: Org, embedded_servers: Servers
) -> None:
    key = org.keys[Scope.READ]
    text = unique_viewer()
    first, second = embedded_servers
    await post(first, key, {"query": text, "extensions": apq(sha(text))})
    assert (await post(first, key, {"extensions": apq(sha(text))})).data
    assert (await post(second, key, {"extensions": apq(sha(text))})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]
