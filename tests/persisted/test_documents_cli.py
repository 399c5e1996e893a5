"""`creatoraudit documents load|list|remove`, run as a real process against the session database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app import models

# The app's lifespan opens the ORM this test reads the stored documents with.
pytestmark = pytest.mark.usefixtures("app_client")


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CREATORAUDIT_DATABASE_URL": database_url,
        "CREATORAUDIT_LOG_JSON": "false",
        "CREATORAUDIT_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "documents", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def apollo_manifest(*bodies: str) -> dict[str, object]:
    import hashlib

    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {
                "id": hashlib.sha256(body.encode()).hexdigest(),
                "name": "Viewer",
                "type": "query",
                "body": body,
            }
            for body in bodies
        ],
    }


def body(tag: str) -> str:
    return f"# {tag}\nquery Viewer {{ viewer {{ apiKey {{ name }} }} }}"


async def test_load_list_and_remove_an_apollo_list_and_a_relay_map(
    database_url: str, tmp_path: Path
) -> None:
    source = f"app-{uuid.uuid4().hex[:8]}"
    apollo = tmp_path / "apollo.json"
    apollo.write_text(json.dumps(apollo_manifest(body(f"{source}-1"), body(f"{source}-2"))))
    relay = tmp_path / "relay.json"
    relay.write_text(json.dumps({f"{source}-r1": body(f"{source}-r1")}))

    loaded = run_cli(database_url, "load", str(apollo), "--source", source)
    assert loaded.returncode == 0, loaded.stderr
    assert "2 document(s) added, 0 already stored" in loaded.stdout
    again = run_cli(database_url, "load", str(apollo), "--source", source)
    assert "0 document(s) added, 2 already stored" in again.stdout
    assert run_cli(database_url, "load", str(relay), "--source", source).returncode == 0
    assert await models.TrustedDocument.filter(source=source).count() == 3

    listed = run_cli(database_url, "list", "--source", source)
    assert len(listed.stdout.strip().splitlines()) == 3
    assert f"{source}-r1" in listed.stdout

    removed = run_cli(database_url, "remove", f"{source}-r1")
    assert "1 document(s) removed" in removed.stdout
    by_source = run_cli(database_url, "remove", "--source", source)
    assert "2 document(s) removed" in by_source.stdout
    assert await models.TrustedDocument.filter(source=source).count() == 0


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "bad-1", "body": "{ nope }"}],
            },
            "bad-1: Cannot query field 'nope'",
        ),
        ({"bad-2": "{ viewer { "}, "bad-2: Syntax Error"),
        ({"bad-3": "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(40)) + " }"}, "aliases"),
        ([1, 2, 3], "expected Apollo's persisted query list"),
    ],
)
async def test_invalid_manifests_load_nothing(
    database_url: str, tmp_path: Path, manifest: object, message: str
) -> None:
    source = f"bad-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "manifest.json"
    good = {f"{source}-good": body(source)}
    if isinstance(manifest, dict) and "operations" not in manifest:
        manifest = {**good, **manifest}
    path.write_text(json.dumps(manifest))
    result = run_cli(database_url, "load", str(path), "--source", source)
    assert result.returncode == 2
    assert message in result.stderr
    assert await models.TrustedDocument.filter(source=source).count() == 0


async def test_an_id_stored_with_another_text_is_a_conflict(
    database_url: str, tmp_path: Path
) -> None:
    source = f"conflict-{uuid.uuid4().hex[:8]}"
    first = tmp_path / "first.json"
    first.write_text(json.dumps({f"{source}-id": body("one")}))
    second = tmp_path / "second.json"
    second.write_text(json.dumps({f"{source}-id": body("two"), f"{source}-new": body("three")}))
    assert run_cli(database_url, "load", str(first), "--source", source).returncode == 0
    clash = run_cli(database_url, "load", str(second), "--source", source)
    assert clash.returncode == 1
    assert f"{source}-id" in clash.stderr
    stored = await models.TrustedDocument.filter(source=source)
    assert [(d.document_id, d.body) for d in stored] == [(f"{source}-id", body("one"))]


async def test_remove_needs_ids_or_a_source(database_url: str) -> None:
    assert run_cli(database_url, "remove").returncode == 2
