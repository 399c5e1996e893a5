"""A client sending its body slowly is refused (408) and disconnected by `creatoraudit serve`."""

from __future__ import annotations

import asyncio
import select
import socket
import time
from pathlib import Path

import orjson

from app.models import Scope
from tests.conftest import Org
from tests.js.api_server import running_api_server

BODY = orjson.dumps({"query": "{ viewer { apiKey { name } } }"}).ljust(300)
# Seconds between two bytes of the slow body: sent whole, it would take 60 s.
TRICKLE = 0.2
# Safety net only: the server is configured to give up after 1 s.
GIVE_UP_SECONDS = 30.0


def request_head(port: int, key: str, length: int) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def slow_post(port: int, key: str) -> tuple[bytes, int, bool]:
    """Send the head, then the body a byte at a time until the server answers.

    Returns everything the server sent, how many body bytes went out, and whether the server
    closed the connection.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_SECONDS) as sock:
        sock.sendall(request_head(port, key, len(BODY)))
        received, sent, closed = b"", 0, False
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < deadline and not closed:
            readable, _, _ = select.select([sock], [], [], TRICKLE)
            if readable:
                chunk = sock.recv(65536)
                received += chunk
                closed = chunk == b""
            elif sent < len(BODY):
                try:
                    sock.sendall(BODY[sent : sent + 1])
                    sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
        return received, sent, closed


def fast_post(port: int, key: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_SECONDS) as sock:
        sock.sendall(request_head(port, key, len(BODY)) + BODY)
        head = sock.recv(65536)
        return head


async def test_a_slow_body_is_refused_with_408_and_the_connection_closed(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    env = {"CREATORAUDIT_LIMITS__BODY_READ_TIMEOUT_SECONDS": "1"}
    key = org.keys[Scope.READ]
    with running_api_server(database_url, tmp_path, env) as server:
        received, sent, closed = await asyncio.to_thread(slow_post, server.port, key)
        fast = await asyncio.to_thread(fast_post, server.port, key)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), received
    assert b"x-request-id:" in head.lower()
    assert b"connection: close" in head.lower()
    error = orjson.loads(body)["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "BODY_TIMEOUT"
    assert closed, "the server kept the connection open"
    assert sent < len(BODY), "the server waited for the whole slow body"
    assert fast.startswith(b"HTTP/1.1 200 ")
