"""Backing services a test can break: its own Redis, and a TCP proxy in front of PostgreSQL.

Nothing here touches the shared Redis or PostgreSQL: the Redis is a `redis-server` of the test's
own on a free port, and the proxy only cuts the connections that go through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.js.api_server import free_port

START_SECONDS = 10.0


class RedisServer:
    """A throwaway `redis-server` that can be killed and started again on the same port."""

    def __init__(self, log_dir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not on PATH (apt-get install redis-server)")
        self._binary = binary
        self._log_dir = log_dir
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (no persistence: a restart comes back empty) and wait until it answers."""
        self._starts += 1
        log = self._log_dir / f"redis-{self.port}-{self._starts}.log"
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        with log.open("wb") as sink:
            self._process = subprocess.Popen(
                [*command, "--save", "", "--appendonly", "no"],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_SECONDS
        while not _accepts(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start:\n{log.read_text()}")
            time.sleep(0.02)

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers (a hung server)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: the paused server answers again, what it was sent meanwhile too."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash or an abrupt restart would."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)  # a paused server cannot be reaped
            self._process.kill()
            self._process.wait(timeout=START_SECONDS)
        self._process = None


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@contextmanager
def own_redis(log_dir: Path) -> Iterator[RedisServer]:
    """A running RedisServer for the block, killed afterwards."""
    server = RedisServer(log_dir)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class TcpProxy:
    """A TCP proxy on a free port, in a thread of its own, that a test cuts and restores.

    While cut, every proxied connection is closed and new ones are refused (the listening
    socket is closed), as when the server behind it goes down. While stalled, connections stay
    open and new ones are accepted, but nothing is forwarded either way (a hung server, a
    network path that drops packets); restored, what was held is forwarded.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def stall(self) -> None:
        """Keep accepting and holding connections, and forward nothing."""
        self._call(self._flow(False))

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again (after a cut), forward again (after a stall)."""
        self._call(self._flow(True))
        if self._server is None:
            self._call(self._listen())

    def stop(self) -> None:
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=START_SECONDS)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(timeout=START_SECONDS)

    async def _flow(self, flowing: bool) -> None:
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _listen(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        await self._flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            self._writers.discard(writer)
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            _pipe(reader, up_writer, self._flowing), _pipe(up_reader, writer, self._flowing)
        )
        self._writers -= {writer, up_writer}


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@contextmanager
def postgres_proxy(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the database of `database_url`, and the URL that goes through it."""
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = f"{netloc[0]}@" if len(netloc) == 2 else ""
    try:
        yield proxy, urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{proxy.port}"))
    finally:
        proxy.stop()
