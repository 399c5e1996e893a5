"""Trusted documents by id, doc_id and hash; persisted-only keys, organizations, deployments."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app import models
from app.graphql.http_request import DOCUMENT_ID_PARAMS
from app.models import Scope
from app.services import trusted_documents
from app.services.api_keys import create_api_key
from app.services.trusted_documents import ManifestEntry
from tests.conftest import GraphQLResponse, Org
from tests.js.api_server import running_api_server


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def trusted(text: str, document_id: str | None = None) -> str:
    """Load one trusted document; returns its id."""
    document_id = document_id or f"relay-{uuid.uuid4().hex[:12]}"
    report = await trusted_documents.load([ManifestEntry(document_id, text)], "tests")
    assert report.added == [document_id]
    return document_id


def viewer_text() -> str:
    return f"# {uuid.uuid4()}\nquery Viewer {{ viewer {{ apiKey {{ name }} }} }}"


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


async def persisted_only_key(org: Org) -> str:
    issued = await create_api_key(org.id, "mobile", Scope.READ, persisted_queries_only=True)
    return issued.secret


@pytest.mark.parametrize("param", DOCUMENT_ID_PARAMS)
async def test_documents_run_by_id_over_post_and_get(org: Org, param: str) -> None:
    text = viewer_text()
    document_id = await trusted(text)
    key = org.keys[Scope.READ]
    expected = {"viewer": {"apiKey": {"name": "read"}}}
    assert (await post(org.client, key, {param: document_id})).data == expected
    response = await org.client.get(
        "/graphql", params={param: document_id}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.json()["data"] == expected


async def test_documents_run_by_sha256_id_and_by_apq_hash(org: Org) -> None:
    text = viewer_text()
    await trusted(text)
    key = org.keys[Scope.READ]
    by_id = await post(org.client, key, {"documentId": f"sha256:{sha(text)}"})
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}
    by_hash = await post(org.client, key, {"extensions": hashed})
    assert by_id.data == by_hash.data == {"viewer": {"apiKey": {"name": "read"}}}


async def test_unknown_document_id_is_404_not_found(org: Org) -> None:
    result = await post(org.client, org.keys[Scope.READ], {"documentId": "no-such-document"})
    assert result.status == 404
    assert result.codes == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_document_id_and_query_together_are_refused(org: Org) -> None:
    text = viewer_text()
    document_id = await trusted(text)
    result = await post(
        org.client, org.keys[Scope.READ], {"documentId": document_id, "query": text}
    )
    assert (result.status, result.codes) == (400, ["BAD_USER_INPUT"])


async def test_persisted_only_key_refuses_every_other_document_on_every_path(org: Org) -> None:
    key = await persisted_only_key(org)
    text = viewer_text()
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}
    plain = await post(org.client, key, {"query": text})
    assert (plain.status, plain.codes) == (400, ["PERSISTED_QUERY_REQUIRED"])
    # Refused before parsing: a broken document gets the same answer, not a syntax error.
    broken = await post(org.client, key, {"query": "{ viewer { "})
    assert broken.codes == ["PERSISTED_QUERY_REQUIRED"]
    registering = await post(org.client, key, {"query": text, "extensions": hashed})
    assert registering.codes == ["PERSISTED_QUERY_REQUIRED"]
    assert (await post(org.client, key, {"extensions": hashed})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]
    over_get = await org.client.get(
        "/graphql", params={"query": text}, headers={"Authorization": f"Bearer {key}"}
    )
    assert over_get.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    # An ordinary key of the same organization registered it: still not for this key.
    other = org.keys[Scope.READ]
    assert (await post(org.client, other, {"query": text, "extensions": hashed})).data
    assert (await post(org.client, key, {"extensions": hashed})).codes == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]


async def test_persisted_only_key_runs_trusted_documents_by_id_hash_and_exact_text(
    org: Org,
) -> None:
    key = await persisted_only_key(org)
    text = viewer_text()
    document_id = await trusted(text)
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}
    expected = {"viewer": {"apiKey": {"name": "mobile"}}}
    assert (await post(org.client, key, {"documentId": document_id})).data == expected
    assert (await post(org.client, key, {"extensions": hashed})).data == expected
    assert (await post(org.client, key, {"query": text})).data == expected
    assert (await post(org.client, key, {"query": text + " "})).codes == [
        "PERSISTED_QUERY_REQUIRED"
    ]


async def test_persisted_only_organization_applies_to_all_its_keys(org: Org) -> None:
    await models.Organization.filter(id=org.id).update(persisted_queries_only=True)
    result = await post(org.client, org.keys[Scope.ADMIN], {"query": viewer_text()})
    assert result.codes == ["PERSISTED_QUERY_REQUIRED"]
    document_id = await trusted(viewer_text())
    assert (await post(org.client, org.keys[Scope.ADMIN], {"documentId": document_id})).data


async def test_mutations_by_document_id_still_need_post(org: Org) -> None:
    handle = f"t{uuid.uuid4().hex[:8]}"
    text = f'mutation {{ trackAccount(platform: TIKTOK, handle: "{handle}") {{ created }} }}'
    document_id = await trusted(text)
    key = org.keys[Scope.WRITE]
    over_get = await org.client.get(
        "/graphql", params={"documentId": document_id}, headers={"Authorization": f"Bearer {key}"}
    )
    assert over_get.status_code == 405
    assert (await post(org.client, key, {"documentId": document_id})).data == {
        "trackAccount": {"created": True}
    }


async def test_a_trusted_document_is_validated_once_per_process(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.graphql.prepared as prepared_module

    calls: list[int] = []
    real_validate = prepared_module.validate  # type: ignore[attr-defined]

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(prepared_module, "validate", counting_validate)
    text = viewer_text()
    document_id = await trusted(text)
    key = org.keys[Scope.READ]
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}
    for body in ({"documentId": document_id}, {"extensions": hashed}, {"documentId": document_id}):
        assert (await post(org.client, key, body)).data
    assert len(calls) == 1


async def test_etag_and_304_for_get_answers_of_persisted_documents(org: Org) -> None:
    text = f"# {uuid.uuid4()}\nquery Count {{ accounts {{ totalCount }} }}"
    document_id = await trusted(text)
    headers = {"Authorization": f"Bearer {org.keys[Scope.ADMIN]}"}
    first = await org.client.get("/graphql", params={"documentId": document_id}, headers=headers)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in first.headers["vary"]
    assert "Accept" in first.headers["vary"]  # the media type follows it
    assert first.json()["data"] == {"accounts": {"totalCount": 0}}
    same = await org.client.get(
        "/graphql", params={"documentId": document_id}, headers={**headers, "If-None-Match": etag}
    )
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert same.headers["x-ratelimit-remaining"]
    await org.gql('mutation { trackAccount(platform: TIKTOK, handle: "etagcheck") { created } }')
    changed = await org.client.get(
        "/graphql", params={"documentId": document_id}, headers={**headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["data"] == {"accounts": {"totalCount": 1}}


async def test_no_etag_for_posts_and_for_plain_text_gets(org: Org) -> None:
    text = viewer_text()
    document_id = await trusted(text)
    headers = {"Authorization": f"Bearer {org.keys[Scope.READ]}"}
    posted = await org.client.post("/graphql", json={"documentId": document_id}, headers=headers)
    plain = await org.client.get("/graphql", params={"query": text}, headers=headers)
    assert "etag" not in posted.headers
    assert "etag" not in plain.headers


async def test_a_removed_document_stops_working_within_the_cache_time(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    text = viewer_text()
    document_id = await trusted(text)
    env = {"CREATORAUDIT_PERSISTED_QUERIES__TRUSTED_CACHE_SECONDS": "0"}
    with running_api_server(database_url, tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            key = org.keys[Scope.READ]
            assert (await post(client, key, {"documentId": document_id})).data
            assert await trusted_documents.remove([document_id]) == 1
            result = await post(client, key, {"documentId": document_id})
            assert result.codes == ["PERSISTED_QUERY_NOT_FOUND"]


def test_manifest_formats() -> None:
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": "abc", "name": "Viewer", "type": "query", "body": "{ viewer { id } }"}
        ],
    }
    relay = {"r1": "{ viewer { id } }"}
    assert trusted_documents.parse_manifest(apollo) == [
        ManifestEntry("abc", "{ viewer { id } }", "Viewer")
    ]
    assert trusted_documents.parse_manifest(relay) == [ManifestEntry("r1", "{ viewer { id } }")]
    bad: object
    for bad in ([], {}, {"format": "apollo-persisted-query-manifest", "version": 2}, {"a": 1}):
        with pytest.raises(trusted_documents.ManifestError):
            trusted_documents.parse_manifest(bad)
    assert orjson.loads(orjson.dumps(relay)) == relay
