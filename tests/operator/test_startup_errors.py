"""`serve` and `worker` refuse to start with one line saying what to fix, exit code 1."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.settings import Settings
from tests.js.api_server import CREATORAUDIT, free_port

# PostgreSQL's test server (trust authentication: a wrong password cannot be shown here).
PG = "postgres://postgres@127.0.0.1:5432"


def start(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    return subprocess.run(
        [str(CREATORAUDIT), *args],
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit code 1, nothing on stdout, one `error:` line on stderr naming the problem."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for text in expected:
        assert text in line, line
    return line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("localhost/creatoraudit", ["not a URL", "use postgres://"], id="unparseable"),
        pytest.param("postgres://u@h:port/db", ["Port is not an integer"], id="bad-port"),
        pytest.param("mysql://u@h/db", ["unknown scheme 'mysql'"], id="unknown-scheme"),
        pytest.param(
            f"{PG}/creatoraudit_no_such_database",
            ["database 'creatoraudit_no_such_database' does not exist", "createdb"],
            id="unknown-database",
        ),
        pytest.param(
            "postgres://no_such_role:secret-pw-1@127.0.0.1:5432/postgres",
            ["refused user 'no_such_role'", "check the user name in CREATORAUDIT_DATABASE_URL"],
            id="unknown-user",
        ),
        pytest.param(
            "postgres://postgres@127.0.0.1:{free}/x",
            ["cannot connect to 127.0.0.1:{free}", "is PostgreSQL running"],
            id="unreachable-port",
        ),
        pytest.param(
            "postgres://postgres@no-such-host.invalid/x",
            ["unknown host 'no-such-host.invalid'"],
            id="unknown-host",
        ),
        pytest.param(
            "sqlite:///no/such/directory/db.sqlite3", ["cannot open the SQLite file"], id="sqlite"
        ),
    ],
)
def test_bad_database_url(url: str, expected: list[str]) -> None:
    free = str(free_port())
    url = url.replace("{free}", free)
    result = start("serve", "--port", str(free_port()), env={"CREATORAUDIT_DATABASE_URL": url})
    line = assert_one_line(result, *(text.replace("{free}", free) for text in expected))
    assert "secret-pw-1" not in line


def test_pending_migrations(tmp_path: Path) -> None:
    env = {"CREATORAUDIT_DATABASE_URL": f"sqlite://{tmp_path / 'new.sqlite3'}"}
    result = start("serve", "--port", str(free_port()), env=env)
    assert_one_line(result, "migrations:", "pending", "run `creatoraudit migrate`")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_unreachable_redis(database_url: str, command: str) -> None:
    port = free_port()
    env = {
        "CREATORAUDIT_DATABASE_URL": database_url,
        "CREATORAUDIT_REDIS_URL": f"redis://:redis-pw-9@127.0.0.1:{port}/0",
    }
    args = ["serve", "--port", str(free_port())] if command == "serve" else ["worker"]
    line = assert_one_line(
        start(*args, env=env), f"cannot connect to redis://127.0.0.1:{port}/0", "is Redis running"
    )
    assert "redis-pw-9" not in line


def test_worker_without_redis(database_url: str) -> None:
    result = start("worker", env={"CREATORAUDIT_DATABASE_URL": database_url})
    assert_one_line(result, "the worker needs Redis", "CREATORAUDIT_REDIS_URL")


def test_busy_port(database_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = start(
            "serve", "--port", str(port), env={"CREATORAUDIT_DATABASE_URL": database_url}
        )
    assert_one_line(result, f"127.0.0.1:{port} is already in use", "--port or CREATORAUDIT_PORT")


def test_bad_setting_names_the_variable() -> None:
    result = start("serve", env={"CREATORAUDIT_PORT": "99999"})
    assert result.returncode == 2
    assert result.stderr == (
        "error: CREATORAUDIT_PORT: Input should be less than or equal to 65535 (got '99999')\n"
    )


def test_demo_on_a_busy_port(tmp_path: Path) -> None:
    env = {"CREATORAUDIT_DATABASE_URL": f"sqlite://{tmp_path / 'demo.sqlite3'}"}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = start("demo", "--port", str(free_port()), "--simulator-port", str(port), env=env)
    assert_one_line(result, f"the simulator cannot listen on 127.0.0.1:{port}", "--simulator-port")


def test_any_origin_is_refused_in_production() -> None:
    env = {
        "CREATORAUDIT_ENVIRONMENT": "production",
        "CREATORAUDIT_SECRET_KEY": "a-real-production-secret",
        "CREATORAUDIT_CORS_ALLOW_ORIGINS": '["https://app.example.com", "*"]',
    }
    result = start("serve", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert 'CREATORAUDIT_CORS_ALLOW_ORIGINS must list origins in production, not "*"' in (
        result.stderr
    )
    # The same list is accepted outside production, and a real list in production.
    secret = SecretStr("a-real-production-secret")
    assert Settings(environment="development", cors_allow_origins=["*"]).cors_allow_origins
    listed = ["https://app.example.com"]
    production = Settings(environment="production", secret_key=secret, cors_allow_origins=listed)
    assert production.cors_allow_origins == listed
