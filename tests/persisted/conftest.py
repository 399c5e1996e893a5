"""Pairs of `creatoraudit serve` processes on the session's database, with and without Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.js.api_server import running_api_server

Servers = tuple[httpx.AsyncClient, httpx.AsyncClient]
REDIS_URL = "redis://127.0.0.1:6379/0"


async def _pair(database_url: str, log_dir: Path, env: dict[str, str]) -> AsyncIterator[Servers]:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(running_api_server(database_url, log_dir / str(i), env))
            for i in range(2)
        ]
        async with (
            httpx.AsyncClient(base_url=servers[0].base_url) as first,
            httpx.AsyncClient(base_url=servers[1].base_url) as second,
        ):
            yield first, second


@pytest.fixture(scope="module")
async def shared_servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Servers]:
    """Two API processes sharing Redis (the production shape)."""
    async for pair in _pair(
        database_url, tmp_path_factory.mktemp("shared"), {"CREATORAUDIT_REDIS_URL": REDIS_URL}
    ):
        yield pair


@pytest.fixture(scope="module")
async def embedded_servers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Servers]:
    """Two API processes without Redis (each with its own memory)."""
    async for pair in _pair(database_url, tmp_path_factory.mktemp("embedded"), {}):
        yield pair
