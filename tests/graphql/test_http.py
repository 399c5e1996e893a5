"""GraphQL over HTTP: auth, methods, media types, status codes, request ids, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.models import Scope
from app.settings import LimitSettings
from tests.conftest import Org

VIEWER = "query Viewer { viewer { organization { id name } apiKey { name scopes } } }"


async def test_missing_key_is_401_unauthenticated(org: Org) -> None:
    response = await org.client.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


async def test_unknown_key_is_401(org: Org) -> None:
    response = await org.client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": "Bearer ca_forged"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_names_the_key_and_its_organization(org: Org) -> None:
    result = await org.gql(VIEWER, scope=Scope.WRITE)
    assert result.status == 200
    viewer = result.data["viewer"]
    assert viewer["organization"]["name"] == org.organization.name
    assert viewer["apiKey"] == {"name": "write", "scopes": ["WRITE", "READ"]}


async def test_get_runs_queries(org: Org) -> None:
    response = await org.client.get(
        "/graphql",
        params={"query": VIEWER, "operationName": "Viewer"},
        headers={"Authorization": f"Bearer {org.keys[Scope.READ]}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["apiKey"]["name"] == "read"


async def test_get_refuses_mutations_with_405(org: Org) -> None:
    response = await org.client.get(
        "/graphql",
        params={"query": 'mutation { trackAccount(platform: TIKTOK, handle: "x1") { created } }'},
        headers={"Authorization": f"Bearer {org.keys[Scope.ADMIN]}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    total = await org.gql("{ accounts { totalCount } }")
    assert total.data["accounts"]["totalCount"] == 0


async def test_request_id_is_echoed_or_generated(org: Org) -> None:
    echoed = await org.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await org.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32
    result = await org.gql(VIEWER)
    assert result.headers["x-request-id"]


@pytest.mark.parametrize(
    ("accept", "media_type", "status"),
    [
        ("application/graphql-response+json", "application/graphql-response+json", 400),
        ("application/json", "application/json", 200),
        (None, "application/json", 200),
        ("*/*", "application/json", 200),
    ],
)
async def test_validation_errors_follow_graphql_over_http(
    org: Org, accept: str | None, media_type: str, status: int
) -> None:
    headers = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    if accept:
        headers["Accept"] = accept
    response = await org.client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(media_type)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_syntax_error_is_400_with_graphql_response_json(org: Org) -> None:
    response = await org.client.post(
        "/graphql",
        json={"query": "{ viewer { "},
        headers={
            "Authorization": f"Bearer {org.keys[Scope.READ]}",
            "Accept": "application/graphql-response+json",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unacceptable_accept_is_406(org: Org) -> None:
    response = await org.client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {org.keys[Scope.READ]}", "Accept": "text/csv"},
    )
    assert response.status_code == 406


async def test_non_json_post_is_415(org: Org) -> None:
    response = await org.client.post(
        "/graphql",
        content=VIEWER,
        headers={
            "Authorization": f"Bearer {org.keys[Scope.READ]}",
            "Content-Type": "text/plain",
        },
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"query": 5}',
        b'{"query": "{ viewer { apiKey { name } } }", "variables": [1]}',
    ],
)
async def test_malformed_bodies_are_400(org: Org, body: bytes) -> None:
    response = await org.client.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {org.keys[Scope.READ]}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_missing_query_is_400(org: Org) -> None:
    response = await org.client.post(
        "/graphql", json={}, headers={"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    )
    assert response.status_code == 400


async def test_other_methods_are_405(org: Org) -> None:
    response = await org.client.put("/graphql", json={"query": VIEWER})
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


async def test_too_deep_is_refused_before_running(org: Org) -> None:
    nested = "accounts { nodes { creators { nodes { accounts { nodes { " * 3
    query = "{ " + nested + "id" + " } } } } } }" * 3 + " }"
    result = await org.gql(query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    extensions = result.errors[0]["extensions"]
    assert extensions["depth"] > extensions["maxDepth"] == 12
    assert "data" not in result.body


async def test_too_many_aliases_are_refused(org: Org) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ apiKey {{ name }} }}" for i in range(31)) + " }"
    result = await org.gql(query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["extensions"]["aliases"] == 31


async def test_too_many_tokens_are_refused(org: Org) -> None:
    query = "{ " + " ".join("viewer { apiKey { name } }" for _ in range(800)) + " }"
    result = await org.gql(query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["extensions"]["maxTokens"] == LimitSettings().max_tokens


async def test_bad_variable_is_bad_user_input(org: Org) -> None:
    result = await org.gql("query($n: Int) { accounts(first: $n) { totalCount } }", {"n": "many"})
    assert result.codes == ["BAD_USER_INPUT"]


async def test_health_and_readiness(org: Org) -> None:
    assert (await org.client.get("/healthz")).json() == {"status": "ok"}
    ready = await org.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_browser_gets_graphiql(org: Org) -> None:
    response = await org.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_body_over_the_limit_is_413_before_it_is_read(org: Org) -> None:
    headers = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    padding = " " * 100_001
    declared = await org.client.post("/graphql", json={"query": VIEWER + padding}, headers=headers)
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "' + VIEWER.encode()
        for _ in range(200):
            yield b" " * 1000
        yield b'"}'

    streamed = await org.client.post(
        "/graphql",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    within = await org.client.post(
        "/graphql", json={"query": VIEWER + " " * 90_000}, headers=headers
    )
    assert within.status_code == 200


async def test_other_methods_get_a_coded_json_405_and_options_is_answered(org: Org) -> None:
    deleted = await org.client.delete("/graphql")
    assert deleted.status_code == 405
    assert deleted.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    options = await org.client.options("/graphql")
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, POST, OPTIONS"
