"""Limits, cost and introspection apply alike to text, GET, APQ and trusted documents."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app.models import Scope
from app.services import trusted_documents
from app.services.trusted_documents import ManifestEntry
from tests.conftest import GraphQLResponse, Org, Servers
from tests.js.api_server import running_api_server

# 700 × the same small selection: quadratic to validate; refused before validation.
HOSTILE = "{ " + " ".join("viewer { apiKey { id } }" for _ in range(700)) + " }"
WIDE = (
    "query Wide { "
    + " ".join(f"f{i}: viewer {{ id }}" for i in range(25))
    + " "
    + " ".join("viewer { organization { id name } }" for _ in range(120))
    + " }"
)
COSTLY = (
    "query Costly { accounts(first: 200) { nodes { videos(first: 200) { nodes { "
    "metrics(window: {preset: D7}) { views } } } } } }"
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


async def get(client: httpx.AsyncClient, key: str, params: dict[str, str]) -> GraphQLResponse:
    response = await client.get(
        "/graphql", params=params, headers={"Authorization": f"Bearer {key}"}
    )
    return GraphQLResponse.of(response)


@pytest.mark.parametrize("document", [HOSTILE, WIDE], ids=["700-repeats", "wide"])
async def test_oversized_documents_are_refused_on_every_path_and_never_registered(
    org: Org, document: str, shared_servers: Servers
) -> None:
    key = org.keys[Scope.READ]
    text = f"# {uuid.uuid4()}\n{document}"
    hashed = orjson.dumps(apq(text)).decode()
    answers = [
        await post(org.client, key, {"query": text}),
        await get(org.client, key, {"query": text}),
        await post(org.client, key, {"query": text, "extensions": apq(text)}),
        await get(org.client, key, {"query": text, "extensions": hashed}),
    ]
    for answer in answers:
        assert answer.codes == ["QUERY_TOO_COMPLEX"], answer.body
        assert "data" not in answer.body
    # This process remembers its verdict; a process sharing the registry finds nothing.
    assert (await post(org.client, key, {"extensions": apq(text)})).codes == ["QUERY_TOO_COMPLEX"]
    first, second = shared_servers
    assert (await post(first, key, {"query": text, "extensions": apq(text)})).codes == [
        "QUERY_TOO_COMPLEX"
    ]
    assert (await post(second, key, {"extensions": apq(text)})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]


async def test_cost_is_enforced_for_trusted_documents_and_apq(org: Org) -> None:
    key = org.keys[Scope.READ]
    text = f"# {uuid.uuid4()}\n{COSTLY}"
    document_id = f"costly-{uuid.uuid4().hex[:8]}"
    await trusted_documents.load([ManifestEntry(document_id, text)], "tests")
    by_id = await post(org.client, key, {"documentId": document_id})
    by_get = await get(org.client, key, {"documentId": document_id})
    by_hash = await post(org.client, key, {"extensions": apq(text)})
    for answer in (by_id, by_get, by_hash):
        assert answer.codes == ["QUERY_TOO_COMPLEX"]
        assert answer.errors[0]["extensions"]["cost"] > answer.errors[0]["extensions"]["maxCost"]


async def test_introspection_can_be_switched_off(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    key = org.keys[Scope.READ]
    schema_query = "{ __schema { queryType { name } } }"
    assert (await post(org.client, key, {"query": schema_query})).data
    env = {"CREATORAUDIT_LIMITS__INTROSPECTION": "false"}
    with running_api_server(database_url, tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            refused = await post(client, key, {"query": schema_query})
            by_type = await post(client, key, {"query": '{ __type(name: "Account") { name } }'})
            typename = await post(client, key, {"query": "{ __typename viewer { __typename } }"})
    assert refused.codes
    assert set(refused.codes) == set(by_type.codes) == {"BAD_USER_INPUT"}
    assert "data" not in refused.body
    assert "introspection" in refused.errors[0]["message"].lower()
    assert typename.data == {"__typename": "Query", "viewer": {"__typename": "Viewer"}}
