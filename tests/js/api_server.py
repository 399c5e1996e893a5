"""`creatoraudit serve` in a subprocess, and Node scripts run against it, for client tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

JS_DIR = Path(__file__).resolve().parent
NODE_MODULES = JS_DIR / "node_modules"
INSTALL_STEP = "npm ci --prefix tests/js"
# The console script installed next to the interpreter running the tests: what users run.
CREATORAUDIT = Path(sys.executable).parent / "creatoraudit"
STARTUP_SECONDS = 30.0
# Redis keys of this test session's servers: other sessions on the same Redis (another engineer,
# the other database engine) reuse the same API key ids, and must not share their buckets.
SESSION_PREFIX = f"creatoraudit-test-{uuid.uuid4().hex[:12]}"
SESSION_REDIS_ENV = {
    "CREATORAUDIT_RATE_LIMIT__REDIS_PREFIX": f"{SESSION_PREFIX}:ratelimit",
    "CREATORAUDIT_PERSISTED_QUERIES__APQ_REDIS_PREFIX": f"{SESSION_PREFIX}:apq:",
}
STOP_SECONDS = 15.0


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ApiServer:
    """A running `creatoraudit serve` process and its log file."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    def log(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines (CREATORAUDIT_LOG_JSON=true)."""
        records = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return records

    def requests_logged(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request in the access log."""
        return [
            (r["method"], r["path"], r["status"])
            for r in self.log_records()
            if r.get("logger") == "creatoraudit.access"
        ]

    def problems_logged(self) -> list[str]:
        """Log lines at ERROR or above, and tracebacks."""
        lines = self.log().splitlines()
        bad = [line for line in lines if "Traceback (most recent call last)" in line]
        bad += [
            json.dumps(r) for r in self.log_records() if r.get("level") in ("ERROR", "CRITICAL")
        ]
        return bad


def _server_env(database_url: str, extra_env: Mapping[str, str]) -> dict[str, str]:
    # The developer's own CREATORAUDIT_* settings (a Redis URL, CORS origins…) stay out.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env.update(
        {
            "CREATORAUDIT_DATABASE_URL": database_url,
            "CREATORAUDIT_EMBEDDED_WORKER": "false",
            "CREATORAUDIT_SECRET_KEY": "js-client-tests-secret-key",
            "CREATORAUDIT_LOG_JSON": "true",
            **SESSION_REDIS_ENV,
        }
    )
    env.update(extra_env)
    return env


def _wait_until_healthy(server: ApiServer) -> bool:
    """True once /healthz answers 200; False if the process exited first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                if client.get(f"{server.base_url}/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    stop_api_server(server)
    pytest.fail(
        f"`creatoraudit serve` did not answer /healthz within {STARTUP_SECONDS:.0f} s:\n"
        + server.log()
    )


def start_api_server(
    database_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
) -> ApiServer:
    """Start `creatoraudit serve --port <free port>` and wait until /healthz answers."""
    if not CREATORAUDIT.exists():
        pytest.fail(f"{CREATORAUDIT} is missing: install the project (pip install -e '.[dev]')")
    env = _server_env(database_url, extra_env or {})
    log_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # another process may take the free port before uvicorn binds it
        port = free_port()
        log_path = log_dir / f"serve-{port}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [str(CREATORAUDIT), "serve", "--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = ApiServer(process, port, log_path)
        if _wait_until_healthy(server):
            return server
        if "address already in use" not in server.log().lower() or attempt == 2:
            break
    pytest.fail(
        f"`creatoraudit serve` exited with {server.process.returncode} before answering "
        f"/healthz:\n{server.log()}"
    )


def stop_api_server(server: ApiServer) -> None:
    """SIGTERM, as a process manager would; SIGKILL if it does not exit in time."""
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=STOP_SECONDS)


@contextmanager
def running_api_server(
    database_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[ApiServer]:
    """An API server for the duration of the block."""
    server = start_api_server(database_url, log_dir, extra_env)
    try:
        yield server
    finally:
        stop_api_server(server)


def require_node_modules() -> None:
    """Fail (never skip) with the install step when the Node dependencies are missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not on PATH: the JS client tests need Node.js 20 or later")
    missing = [
        name
        for name in ("graphql-http", "@apollo/client", "graphql", "rxjs")
        if not (NODE_MODULES / name / "package.json").exists()
    ]
    if missing:
        pytest.fail(
            f"tests/js/node_modules lacks {', '.join(missing)}: run `{INSTALL_STEP}` "
            "(bash .ci/test does it before pytest)"
        )


@dataclass
class NodeRun:
    """A finished Node script: exit code, output, and its `SUMMARY {json}` line."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("SUMMARY "):
                value: dict[str, Any] = json.loads(line.removeprefix("SUMMARY "))
                return value
        raise AssertionError(f"no SUMMARY line in the output:\n{self.describe()}")

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_node(script: str, *args: str, timeout: float = 120.0) -> NodeRun:
    """Run `node tests/js/<script> args…` in tests/js and capture what it prints."""
    require_node_modules()
    completed = subprocess.run(
        ["node", script, *args],
        cwd=JS_DIR,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return NodeRun(completed.returncode, completed.stdout, completed.stderr)
