"""The creatoraudit command line, run as a real process against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CREATORAUDIT_DATABASE_URL": f"sqlite://{database}",
        "CREATORAUDIT_LOG_JSON": "false",
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


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "cli.sqlite3"
    assert run_cli("migrate", database=path).returncode == 0
    return path


def test_org_and_key_lifecycle(database: Path) -> None:
    created = run_cli("org", "create", "  Acme   Agency ", database=database)
    assert created.returncode == 0, created.stderr
    assert "organization 1 'Acme Agency' created" in created.stdout

    key = run_cli("key", "create", "--org", "1", "--scope", "WRITE", database=database)
    assert key.returncode == 0, key.stderr
    header, secret = key.stdout.strip().splitlines()
    assert header.startswith("key 1 (WRITE) for organization 1")
    assert secret.startswith("ca_")
    assert len(secret) > 30

    revoked = run_cli("key", "revoke", "1", database=database)
    assert revoked.returncode == 0
    assert "key 1 revoked" in revoked.stdout


def test_key_for_unknown_org_fails_cleanly(database: Path) -> None:
    result = run_cli("key", "create", "--org", "99", database=database)
    assert result.returncode == 2
    assert "no organization 99" in result.stderr


def test_revoking_unknown_key_fails_cleanly(database: Path) -> None:
    result = run_cli("key", "revoke", "42", database=database)
    assert result.returncode == 2
    assert "no API key 42" in result.stderr


def test_export_schema_writes_the_sdl(tmp_path: Path, database: Path) -> None:
    target = tmp_path / "schema.graphql"
    result = run_cli("export-schema", "-o", str(target), database=database)
    assert result.returncode == 0
    committed = Path(__file__).resolve().parent.parent / "schema.graphql"
    assert target.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


def test_migrations_match_the_models(database: Path) -> None:
    result = run_cli("makemigrations", "--check", database=database)
    assert result.returncode == 0, result.stdout + result.stderr


def test_blank_org_name_fails_cleanly(database: Path) -> None:
    result = run_cli("org", "create", "   ", database=database)
    assert result.returncode == 2
    assert "1–200 characters" in result.stderr
