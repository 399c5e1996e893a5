"""Persisted-only switched on and off: by the CLI, the ADMIN mutation and the deployment."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

from app import models
from app.models import Scope
from app.services import trusted_documents
from app.services.trusted_documents import ManifestEntry
from tests.conftest import GraphQLResponse, Org
from tests.js.api_server import running_api_server

SET = """mutation($enabled: Boolean!, $id: ID) {
  r: setPersistedQueriesOnly(enabled: $enabled, apiKeyId: $id) {
    apiKey { id persistedQueriesOnly } organization { persistedQueriesOnly }
    userErrors { field code } } }"""
ME = "{ viewer { apiKey { id } } }"


def viewer_text() -> str:
    return f"# {uuid.uuid4()}\nquery Viewer {{ viewer {{ apiKey {{ name }} }} }}"


def apq(text: str) -> dict[str, Any]:
    return {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}
    }


async def trusted(text: str) -> str:
    document_id = f"doc-{uuid.uuid4().hex[:12]}"
    await trusted_documents.load([ManifestEntry(document_id, text)], "tests")
    return document_id


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> GraphQLResponse:
    response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {key}"})
    return GraphQLResponse.of(response)


async def get(client: httpx.AsyncClient, key: str, params: dict[str, str]) -> httpx.Response:
    return await client.get("/graphql", params=params, headers={"Authorization": f"Bearer {key}"})


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CREATORAUDIT_DATABASE_URL": database_url,
        "CREATORAUDIT_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def runs_plain_text(org: Org, key: str) -> bool:
    answer = await post(org.client, key, {"query": viewer_text()})
    if answer.codes == ["PERSISTED_QUERY_REQUIRED"]:
        assert answer.status == 400
        return False
    assert answer.data
    return True


async def test_the_cli_creates_and_switches_persisted_only_keys_and_organizations(
    org: Org, database_url: str
) -> None:
    created = cli(database_url, "key", "create", "--org", str(org.id), "--persisted-only")
    assert created.returncode == 0, created.stderr
    assert "persisted-only" in created.stderr  # the header; stdout holds the key alone
    secret = created.stdout.strip()
    header = next(line for line in created.stderr.splitlines() if line.startswith("key "))
    key_id = header.split()[1]
    assert not await runs_plain_text(org, secret)
    document_id = await trusted(viewer_text())
    assert (await post(org.client, secret, {"documentId": document_id})).data
    off = cli(database_url, "key", "persisted-only", key_id, "--off")
    assert (off.returncode, off.stdout.strip()) == (0, f"key {key_id}: any document")
    assert await runs_plain_text(org, secret)

    reader = org.keys[Scope.READ]
    on = cli(database_url, "org", "persisted-only", str(org.id), "--on")
    assert on.returncode == 0, on.stderr
    assert "persisted-only" in on.stdout
    assert not await runs_plain_text(org, reader)
    assert not await runs_plain_text(org, secret)
    shown = cli(database_url, "org", "persisted-only", str(org.id))
    assert "persisted-only" in shown.stdout
    assert cli(database_url, "org", "persisted-only", str(org.id), "--off").returncode == 0
    assert await runs_plain_text(org, reader)
    assert cli(database_url, "org", "persisted-only", "2147483000", "--on").returncode == 2


async def test_the_admin_mutation_switches_one_key_or_the_organization(org: Org) -> None:
    reader = org.keys[Scope.READ]
    reader_id = (await post(org.client, reader, {"query": ME})).data["viewer"]["apiKey"]["id"]
    switched = (await org.gql(SET, {"enabled": True, "id": reader_id})).data["r"]
    assert switched == {
        "apiKey": {"id": reader_id, "persistedQueriesOnly": True},
        "organization": {"persistedQueriesOnly": False},
        "userErrors": [],
    }
    assert not await runs_plain_text(org, reader)
    assert await runs_plain_text(org, org.keys[Scope.WRITE])
    assert (await org.gql(SET, {"enabled": False, "id": reader_id})).data["r"]["userErrors"] == []
    assert await runs_plain_text(org, reader)

    whole = (await org.gql(SET, {"enabled": True})).data["r"]
    assert whole == {
        "apiKey": None,
        "organization": {"persistedQueriesOnly": True},
        "userErrors": [],
    }
    assert not await runs_plain_text(org, reader)
    # The ADMIN key itself runs only trusted documents now: switching back is one of them.
    refused = await org.gql(SET, {"enabled": False})
    assert refused.codes == ["PERSISTED_QUERY_REQUIRED"]
    document_id = await trusted(SET)
    back = await post(
        org.client,
        org.keys[Scope.ADMIN],
        {"documentId": document_id, "variables": {"enabled": False}},
    )
    assert back.data["r"]["organization"] == {"persistedQueriesOnly": False}
    assert await runs_plain_text(org, reader)
    assert not (await models.Organization.get(id=org.id)).persisted_queries_only


async def test_a_persisted_only_key_over_get_runs_hashes_and_registers_nothing(org: Org) -> None:
    key_id = (await post(org.client, org.keys[Scope.READ], {"query": ME})).data["viewer"]["apiKey"][
        "id"
    ]
    await org.gql(SET, {"enabled": True, "id": key_id})
    key = org.keys[Scope.READ]
    text = viewer_text()
    await trusted(text)
    by_hash = await get(org.client, key, {"extensions": orjson.dumps(apq(text)).decode()})
    assert by_hash.status_code == 200
    assert by_hash.json()["data"] == {"viewer": {"apiKey": {"name": "read"}}}
    assert by_hash.headers["etag"]
    other = viewer_text()
    registering = await get(
        org.client, key, {"query": other, "extensions": orjson.dumps(apq(other)).decode()}
    )
    assert registering.status_code == 400
    assert registering.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    unknown = await get(org.client, key, {"extensions": orjson.dumps(apq(other)).decode()})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # Nothing was registered: an ordinary key finds no text under that hash either.
    ordinary = await get(
        org.client, org.keys[Scope.WRITE], {"extensions": orjson.dumps(apq(other)).decode()}
    )
    assert ordinary.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_deployment_switch_makes_every_key_persisted_only(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    text = viewer_text()
    document_id = await trusted(text)
    key = org.keys[Scope.ADMIN]
    env = {"CREATORAUDIT_PERSISTED_QUERIES__ONLY": "true"}
    with running_api_server(database_url, tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            plain = await post(client, key, {"query": viewer_text()})
            registering = await post(client, key, {"query": viewer_text() + " ", "extensions": {}})
            other = viewer_text()
            apq_register = await post(client, key, {"query": other, "extensions": apq(other)})
            over_get = await get(client, key, {"query": viewer_text()})
            by_id = await post(client, key, {"documentId": document_id})
            by_hash = await get(client, key, {"extensions": orjson.dumps(apq(text)).decode()})
            exact = await post(client, key, {"query": text})
    assert (plain.status, plain.codes) == (400, ["PERSISTED_QUERY_REQUIRED"])
    assert registering.codes == ["PERSISTED_QUERY_REQUIRED"]
    assert apq_register.codes == ["PERSISTED_QUERY_REQUIRED"]
    assert over_get.status_code == 400
    assert over_get.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    expected = {"viewer": {"apiKey": {"name": "admin"}}}
    assert by_id.data == expected == exact.data
    assert by_hash.json()["data"] == expected
    # The same key on the session's app (no deployment switch) runs any document.
    assert await runs_plain_text(org, key)
