"""`creatoraudit serve` processes (and the dashboard's floor), started as users start them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import app as app_package

# The console script installed next to this interpreter: what users run.
CREATORAUDIT = Path(sys.executable).parent / "creatoraudit"
_ENV_PREFIX = "CREATORAUDIT_"
STOP_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Server:
    """A running `creatoraudit serve` process."""

    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    started_in: float  # seconds from spawn to the first 200 of /healthz

    @property
    def url(self) -> str:
        """Its GraphQL endpoint."""
        return f"http://127.0.0.1:{self.port}/graphql"

    def log_tail(self, lines: int = 20) -> list[str]:
        """The last lines it wrote."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []


def deployment_env(database_url: str, redis_url: str | None, **settings: str) -> dict[str, str]:
    """The parent's environment without its CREATORAUDIT_* settings, plus a deployment's.

    A deployment as the README's compose file runs it: PostgreSQL, Redis, refreshes in a
    worker process of their own; everything else (log level, rate limiter) at its default
    unless `settings` say otherwise. Without `redis_url`, no Redis setting at all.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
    source_root = str(Path(app_package.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    chosen = {
        "DATABASE_URL": database_url,
        **({"REDIS_URL": redis_url} if redis_url else {}),
        "EMBEDDED_WORKER": "false",
        # These benchmarks repeat their requests: they measure execution, not the result
        # cache (`python -m app.bench.warm_cold` measures that).
        "RESULT_CACHE_BYTES": "0",
        **settings,
    }
    env.update({f"{_ENV_PREFIX}{k}": v for k, v in chosen.items()})
    return env


def server_env(database_url: str, redis_url: str, limiter: bool) -> dict[str, str]:
    """The load benchmark's servers: warnings only, the rate limiter on or off."""
    return deployment_env(
        database_url,
        redis_url,
        LOG_LEVEL="WARNING",
        RATE_LIMIT__ENABLED="true" if limiter else "false",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int) -> list[str]:
    """`creatoraudit serve --host 127.0.0.1 --port <port>`."""
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    if CREATORAUDIT.exists():
        return [str(CREATORAUDIT), *arguments]
    # Not installed as a console script (a bare checkout): the same entry point.
    return [sys.executable, "-m", "app.cli", *arguments]


async def _healthy(process: asyncio.subprocess.Process, port: int, limit: float) -> bool:
    """True once /healthz answers 200; False if the process exits first or time runs out."""
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    return False


async def start_server(
    env: dict[str, str],
    log_dir: Path,
    limit: float,
    command: Callable[[int], list[str]] = serve_command,
    name: str = "serve",
) -> Server:
    """`command(<free port>)` (by default `creatoraudit serve`), once /healthz answers."""
    for _ in range(3):  # another process may take the free port before uvicorn binds it
        port = free_port()
        log_path = log_dir / f"{name}-{port}.log"
        spawned = time.monotonic()
        # A local log file, opened once: not worth a thread.
        with open(log_path, "wb") as log_file:  # noqa: ASYNC230
            process = await asyncio.create_subprocess_exec(
                *command(port),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        server = Server(process, port, log_path, 0.0)
        if await _healthy(process, port, limit):
            return Server(process, port, log_path, time.monotonic() - spawned)
        await stop_server(server)
        if "address already in use" not in "\n".join(server.log_tail()).lower():
            break
    tail = "\n".join(server.log_tail())
    raise RuntimeError(f"`{name}` did not become healthy within {limit:.0f} s:\n{tail}")


async def stop_server(server: Server) -> None:
    """SIGTERM, as a process manager would; SIGKILL if it does not exit in time."""
    if server.process.returncode is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(server.process.wait(), STOP_SECONDS)
    except TimeoutError:
        server.process.kill()
        await server.process.wait()


async def run_client(arguments: list[str], limit: float) -> dict[str, Any]:
    """`python -m app.bench.load_client <arguments>` in a process of its own; its JSON line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.bench.load_client",
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # The client stops by itself; `limit` only guards against a hung process.
    try:
        out, err = await asyncio.wait_for(process.communicate(), limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"the load client did not finish within {limit:.0f} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"the load client failed ({process.returncode}):\n{err.decode()}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def merged_results(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Client results of sub-phases of one measurement as one: counts and CPU summed,
    latencies the median of theirs."""
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, Any] = {
        name: sum(part[name] for part in parts)
        for name in ("answered", "requests", "seconds", "server_cpu_seconds")
    }
    merged["database_cpu_seconds"] = sum(part["database_cpu_seconds"] for part in parts)
    for name in ("p50_ms", "p99_ms"):
        known = [part[name] for part in parts if part[name] is not None]
        merged[name] = statistics.median(known) if known else None
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    merged["errors"] = dict(errors)
    return merged


@asynccontextmanager
async def server_pair(
    env: dict[str, str], log_dir: Path, limit: float
) -> AsyncIterator[list[Server]]:
    """Two servers with the same settings, stopped afterwards."""
    async with AsyncExitStack() as stack:
        servers = []
        for _ in range(2):
            server = await start_server(env, log_dir, limit)
            stack.push_async_callback(stop_server, server)
            servers.append(server)
        yield servers
