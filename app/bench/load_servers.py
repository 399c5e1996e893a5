"""Two `creatoraudit serve` processes sharing Redis, started as users start them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

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


def server_env(database_url: str, redis_url: str, limiter: bool) -> dict[str, str]:
    """The parent's environment without its CREATORAUDIT_* settings, plus the benchmark's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
    source_root = str(Path(app_package.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMBEDDED_WORKER": "false",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT__ENABLED": "true" if limiter else "false",
        # The mix repeats itself: measure execution, not the result cache (app.bench.warm_cold).
        "RESULT_CACHE_BYTES": "0",
    }
    env.update({f"{_ENV_PREFIX}{k}": v for k, v in settings.items()})
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(port: int) -> list[str]:
    if CREATORAUDIT.exists():
        return [str(CREATORAUDIT), "serve", "--port", str(port)]
    # Not installed as a console script (a bare checkout): the same entry point.
    return [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]


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


async def start_server(env: dict[str, str], log_dir: Path, limit: float) -> Server:
    """`creatoraudit serve --port <free port>`, once /healthz answers."""
    for _ in range(3):  # another process may take the free port before uvicorn binds it
        port = _free_port()
        log_path = log_dir / f"serve-{port}.log"
        spawned = time.monotonic()
        # A local log file, opened once: not worth a thread.
        with open(log_path, "wb") as log_file:  # noqa: ASYNC230
            process = await asyncio.create_subprocess_exec(
                *_command(port),
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
    raise RuntimeError(f"`creatoraudit serve` did not become healthy within {limit:.0f} s:\n{tail}")


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
