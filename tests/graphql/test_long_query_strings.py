"""GET query strings: 414 in GraphQL JSON below uvicorn's own limit, over a real socket."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from urllib.parse import quote

import orjson

from app.models import Scope
from app.settings import LimitSettings
from tests.conftest import Org
from tests.js.api_server import running_api_server

VIEWER = "{ viewer { apiKey { name } } }"
# httptools accepts request targets of up to 65,535 bytes: after "/graphql?", 65,526.
PARSER_LIMIT = 65_535 - len("/graphql?")


def get_with_query_string(port: int, key: str, length: int) -> tuple[bytes, bytes]:
    """GET /graphql with a `query` parameter padded to a query string of `length` bytes."""
    query_string = "query=" + quote(VIEWER)
    query_string += "%20" * ((length - len(query_string)) // 3)
    query_string += "+" * (length - len(query_string))
    assert len(query_string) == length
    head = (
        f"GET /graphql?{query_string} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status, _, rest = received.partition(b"\r\n")
    return status, rest


async def test_query_strings_over_the_setting_get_a_coded_414_below_the_parsers_limit(
    org: Org, database_url: str, tmp_path: Path
) -> None:
    limit = LimitSettings().max_query_string_bytes
    assert limit < PARSER_LIMIT
    key = org.keys[Scope.READ]
    with running_api_server(database_url, tmp_path) as server:
        lengths = (limit, limit + 1, PARSER_LIMIT, PARSER_LIMIT + 1)
        answers = [
            await asyncio.to_thread(get_with_query_string, server.port, key, n) for n in lengths
        ]
    (within, _), (over, over_rest), (at_parser, parser_rest), (beyond, beyond_rest) = answers
    assert within.startswith(b"HTTP/1.1 200 ")
    for status, rest in ((over, over_rest), (at_parser, parser_rest)):
        assert status.startswith(b"HTTP/1.1 414 ")
        headers, _, body = rest.partition(b"\r\n\r\n")
        assert b"x-request-id:" in headers.lower()
        assert b"content-type: application/json" in headers.lower()
        error = orjson.loads(body)["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["maxLength"] == limit
    # One byte past what uvicorn's parser takes, the app never sees the request.
    assert beyond.startswith(b"HTTP/1.1 400 ")
    assert b"Invalid HTTP request received." in beyond_rest
