"""Limits, cost and introspection apply alike to text, GET, APQ and trusted documents."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app.bench.limits import deep_tree
from app.graphql.lexer import parse_document
from app.graphql.shape import measure
from app.models import Scope
from app.services import trusted_documents
from app.services.trusted_documents import ManifestEntry
from app.settings import LimitSettings
from tests.conftest import GraphQLResponse, Org, Servers
from tests.js.api_server import running_api_server

# Under the token cap, each over one limit that bounds validation's quadratic or linear work.
TOO_MANY_FIELDS = "{ " + " ".join(deep_tree(i) for i in range(5)) + " }"  # 495 fields
TOO_MANY_CHECKS = "{ viewer { apiKey { " + " ".join(["id"] * 60) + " } } }"  # 1,770 checks
# 700 × the same small selection: refused by the parser's token cap.
TOO_MANY_TOKENS = "{ " + " ".join("viewer { apiKey { id } }" for _ in range(700)) + " }"
HOSTILE = {
    "fields": (TOO_MANY_FIELDS, "totalFields"),
    "overlap": (TOO_MANY_CHECKS, "overlapChecks"),
    "tokens": (TOO_MANY_TOKENS, "maxTokens"),
}
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


def test_the_documents_are_under_the_token_cap_and_over_one_limit() -> None:
    limits = LimitSettings()
    for name in ("fields", "overlap"):
        parsed = parse_document(HOSTILE[name][0], limits.max_tokens)
        assert parsed.document is not None
        assert parsed.tokens < limits.max_tokens
        shape = measure(parsed.document, None, limits)
        assert (shape.total_fields > limits.max_total_fields) is (name == "fields")
        assert (shape.overlap_checks > limits.max_overlap_checks) is (name == "overlap")
        assert shape.max_selection_fields <= limits.max_fields_per_selection
        assert shape.depth <= limits.max_depth
        assert shape.aliases <= limits.max_aliases


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_documents_are_refused_on_every_path_and_never_registered(
    org: Org, name: str, shared_servers: Servers
) -> None:
    document, detail = HOSTILE[name]
    key = org.keys[Scope.READ]
    text = f"# {uuid.uuid4()}\n{document}"
    hashed = orjson.dumps(apq(text)).decode()
    document_id = f"hostile-{uuid.uuid4().hex[:8]}"
    # Loading through the service skips the CLI's checks: as if the limits were lowered since.
    await trusted_documents.load([ManifestEntry(document_id, text)], "tests")
    answers = [
        await post(org.client, key, {"query": text}),
        await get(org.client, key, {"query": text}),
        await post(org.client, key, {"query": text, "extensions": apq(text)}),
        await get(org.client, key, {"query": text, "extensions": hashed}),
        await post(org.client, key, {"documentId": document_id}),
        await get(org.client, key, {"documentId": document_id}),
    ]
    for answer in answers:
        assert answer.codes == ["QUERY_TOO_COMPLEX"], answer.body
        assert detail in answer.errors[0]["extensions"]
        assert "data" not in answer.body
    await trusted_documents.remove([document_id], None)
    first, second = shared_servers
    other = f"# {uuid.uuid4()}\n{document}"
    assert (await post(first, key, {"query": other, "extensions": apq(other)})).codes == [
        "QUERY_TOO_COMPLEX"
    ]
    # Not registered: a process sharing the registry finds nothing under the hash.
    assert (await post(second, key, {"extensions": apq(other)})).codes == [
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
