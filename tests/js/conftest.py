"""Fixtures of the client tests: `creatoraudit serve` processes on the session's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from app.models import Scope
from tests.conftest import Org
from tests.js.api_server import ApiServer, require_node_modules, start_api_server, stop_api_server

ServeApi = Callable[[Mapping[str, str]], ApiServer]


@pytest.fixture(scope="session")
def api_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """One `creatoraudit serve` with the default settings, shared by the client tests."""
    require_node_modules()
    server = start_api_server(database_url, tmp_path_factory.mktemp("serve"))
    try:
        yield server
    finally:
        stop_api_server(server)
    problems = server.problems_logged()
    assert not problems, "the API logged errors:\n" + "\n".join(problems)


@pytest.fixture
def serve_api(database_url: str, tmp_path: Path) -> Iterator[ServeApi]:
    """Start more API processes with extra CREATORAUDIT_* settings; stopped after the test."""
    servers: list[ApiServer] = []

    def serve(extra_env: Mapping[str, str]) -> ApiServer:
        server = start_api_server(database_url, tmp_path / f"serve{len(servers)}", extra_env)
        servers.append(server)
        return server

    try:
        yield serve
    finally:
        for server in servers:
            stop_api_server(server)


@pytest.fixture
def read_key(org: Org) -> str:
    """A READ-scoped API key of a fresh organization (what a frontend would hold)."""
    return org.keys[Scope.READ]
