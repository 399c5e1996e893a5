"""Logs: text on a terminal, JSON elsewhere, no colour codes in JSON, never a key or password."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.db_admin import scratch_database
from app.logs import JsonFormatter, Redactor, TextFormatter, resolve_format
from tests.conftest import PG_ADMIN_URL
from tests.js.api_server import CREATORAUDIT, free_port, running_api_server

PASSWORD = "pg-pass-Zq81xv"
ANSI = "\x1b["


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("creatoraudit.test", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_secrets_of_every_shape_are_redacted() -> None:
    redact = Redactor(["configured-secret-value"])
    text = redact(
        "Authorization: Bearer ca_AAAAbbbbCCCCddddEEEEffffGGGGhhhh; key ca_ZZZZyyyyXXXXwwww1234 "
        f"postgres://app:{PASSWORD}@db:5432/x redis://:r3dis-pass@cache:6379/0 "
        "GET /v25.0/me?fields=id&access_token=IGQVJ-token-123 configured-secret-value "
        "\x1b[32mok\x1b[0m"
    )
    for secret in ("AAAAbbbb", "ZZZZyyyy", PASSWORD, "r3dis-pass", "IGQVJ", "configured-secret"):
        assert secret not in text, text
    assert "postgres://app:***@db:5432/x" in text
    assert "redis://:***@cache:6379/0" in text
    assert ANSI not in text
    assert text.endswith("ok")


def test_json_lines_drop_uvicorn_colour_copies_and_stay_valid() -> None:
    line = JsonFormatter(Redactor()).format(
        record(
            "Started server process [%d]",
            42,
            color_message="Started server process [\x1b[36m%d\x1b[0m]",
            token='Bearer ca_AAAAbbbbCCCCddddEEEEffff"quoted',
            status=200,
        )
    )
    assert ANSI not in line
    assert "\\u001b" not in line
    entry = json.loads(line)
    assert entry["message"] == "Started server process [42]"
    assert "color_message" not in entry
    assert entry["status"] == 200
    assert "AAAAbbbb" not in entry["token"]


def test_text_lines_are_for_people() -> None:
    line = TextFormatter(Redactor()).format(record("request", method="POST", status=200))
    assert not line.startswith("{")
    assert " INFO    creatoraudit.test request method=POST status=200" in line


def test_auto_is_text_on_a_terminal_and_json_elsewhere(tmp_path: Path) -> None:
    with (tmp_path / "log").open("w") as file:
        assert resolve_format("auto", file) == "json"
        assert resolve_format("text", file) == "text"
    primary, secondary = pty.openpty()
    with os.fdopen(secondary, "w") as terminal:
        assert resolve_format("auto", terminal) == "text"
        assert resolve_format("json", terminal) == "json"
    os.close(primary)


@pytest.fixture
async def database_with_password() -> AsyncIterator[str]:
    """A migrated PostgreSQL database, reached through a URL with a password (trust auth
    ignores it, so the process runs normally with a secret in its settings)."""
    async with scratch_database(PG_ADMIN_URL, "creatoraudit_logs") as url:
        # In a process of its own: migrating here would close this process's ORM context,
        # which the session's app shares.
        cli(url, "migrate")
        yield url.replace("postgres://postgres@", f"postgres://postgres:{PASSWORD}@", 1)


def cli(database_url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env["CREATORAUDIT_DATABASE_URL"] = database_url
    done = subprocess.run(
        [str(CREATORAUDIT), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_no_key_token_or_password_in_any_log_line(
    database_with_password: str, tmp_path: Path
) -> None:
    # given: an organization and a key, made with the CLI as an operator would
    org_id = cli(database_with_password, "org", "create", "Logs Inc").strip()
    key = cli(database_with_password, "key", "create", "--org", org_id).strip()
    token = "IGQVJ-instagram-token-4711"
    env = {
        "CREATORAUDIT_LOG_LEVEL": "DEBUG",  # the most a log can say
        "CREATORAUDIT_INSTAGRAM__ACCESS_TOKEN": token,
    }
    with running_api_server(database_with_password, tmp_path, env) as server:
        # when: requests carry the key (good, in a header and in a query string) and a bad one
        headers = {"Authorization": f"Bearer {key}"}
        query = {"query": "{ viewer { organization { name } } }"}
        ok = httpx.post(server.graphql_url, json=query, headers=headers)
        assert ok.json()["data"]["viewer"]["organization"]["name"] == "Logs Inc"
        httpx.get(server.graphql_url, params={**query, "access_token": key}, headers=headers)
        httpx.post(
            server.graphql_url, json=query, headers={"Authorization": "Bearer ca_" + "x" * 32}
        )
        log = server.log()

    # then: the log is JSON lines without colour, and no secret in any of them
    assert "request" in log
    lines = log.splitlines()
    assert len(lines) > 5
    for line in lines:
        json.loads(line)
    assert ANSI not in log
    for secret in (key, key.removeprefix("ca_"), PASSWORD, token, "x" * 32):
        assert secret not in log


def test_serve_on_a_terminal_logs_readable_lines(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env["CREATORAUDIT_DATABASE_URL"] = database_url
    port = free_port()
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(CREATORAUDIT), "serve", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while b"Application startup complete" not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if ready:
                output += os.read(primary, 65536)
    finally:
        process.terminate()
        process.wait(timeout=15)
        os.close(primary)
    text = output.decode()
    assert "Application startup complete" in text, text
    assert f"listening on http://127.0.0.1:{port}" in text
    for line in text.strip().splitlines():
        assert not line.startswith("{"), line
        assert ANSI not in line
