"""The creatoraudit command line, run as a real process against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(
    *args: str, database: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CREATORAUDIT_DATABASE_URL": f"sqlite://{database}",
        "CREATORAUDIT_LOG_JSON": "false",
        "CREATORAUDIT_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=environment,
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
    assert created.stdout == "1\n"  # the id alone, for scripts
    assert "organization 1 'Acme Agency' created" in created.stderr

    key = run_cli("key", "create", "--org", "1", "--scope", "WRITE", database=database)
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip()  # the key alone on stdout: KEY=$(creatoraudit key create …)
    assert key.stdout == f"{secret}\n"
    assert "key 1 (WRITE) for organization 1" in key.stderr
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


def test_org_rate_limit_sets_the_ceiling_and_points_and_prints_the_limit_in_force(
    database: Path,
) -> None:
    assert run_cli("org", "create", "Acme", database=database).returncode == 0
    env = {"CREATORAUDIT_RATE_LIMIT__POINTS": "30000"}

    def limit(*args: str) -> str:
        result = run_cli("org", "rate-limit", "1", *args, database=database, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = limit()
    assert shown.splitlines()[0] == "organization 1 'Acme': 30000 points per API key every 60 s"
    assert "ceiling: none (30000 may be chosen: the deployment default)" in shown
    assert "own choice: none (the ceiling applies)" in shown
    assert "ceiling: 50000 (set by the operator)" in limit("--ceiling", "50000")
    capped = limit("--points", "80000")
    assert capped.startswith("organization 1 'Acme': 50000 points")
    assert "own choice: 80000 (capped at the ceiling)" in capped
    assert limit("--points", "20000").startswith("organization 1 'Acme': 20000 points")
    # Without a ceiling, what the operator set applies, even above the default.
    assert limit("--no-ceiling", "--points", "80000").startswith("organization 1 'Acme': 80000")
    assert limit("--default-points").startswith("organization 1 'Acme': 30000 points")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["7"], "no organization 7"),
        (["1", "--ceiling", "0"], "ceiling must be between 1 and"),
        (["1", "--points", "-3"], "points must be between 1 and"),
        (["1", "--ceiling", "5", "--no-ceiling"], "not allowed with argument --ceiling"),
        (["1", "--points", "5", "--default-points"], "not allowed with argument --points"),
    ],
)
def test_org_rate_limit_refuses_bad_arguments(
    database: Path, args: list[str], message: str
) -> None:
    assert run_cli("org", "create", "Acme", database=database).returncode == 0
    result = run_cli("org", "rate-limit", *args, database=database)
    assert result.returncode == 2
    assert message in result.stderr
