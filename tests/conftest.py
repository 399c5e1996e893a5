"""Shared fixtures: a real database (PostgreSQL or SQLite), the real app over HTTP, real keys.

The database engine is chosen per pytest process by CREATORAUDIT_TEST_DB (`postgres`, the
default, or `sqlite`): Tortoise caches SQL per table globally, so one process speaks one dialect.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from starlette.applications import Starlette

from app import db, models
from app.bench.statements import count_statements
from app.db_admin import scratch_database
from app.main import create_app
from app.models import Scope
from app.services.api_keys import create_api_key
from app.settings import PersistedQuerySettings, RateLimitSettings, Settings
from tests.js.api_server import SESSION_PREFIX, running_api_server

__all__ = ["GraphQLResponse", "Org", "Servers", "count_statements", "running_app"]

ENGINE = os.environ.get("CREATORAUDIT_TEST_DB", "postgres")
PG_ADMIN_URL = os.environ.get("CREATORAUDIT_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def pytest_report_header() -> str:
    return f"creatoraudit test database engine: {ENGINE}"


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session, dropped afterwards."""
    if ENGINE == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite://{path}"
        await db.migrate(Settings(database_url=url))
        yield url
        return
    async with scratch_database(PG_ADMIN_URL, "creatoraudit_test") as url:
        await db.migrate(Settings(database_url=url))
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings of the app under test."""
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=SecretStr("test-secret-key"),
        log_json=False,
        embedded_worker=False,  # refresh tests run the worker explicitly
        # Should a test add Redis: this session's own keys (see tests/js/api_server.py).
        rate_limit=RateLimitSettings(redis_prefix=f"{SESSION_PREFIX}:ratelimit"),
        persisted_queries=PersistedQuerySettings(apq_redis_prefix=f"{SESSION_PREFIX}:apq:"),
    )


@pytest.fixture(scope="session")
async def api(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The real ASGI app, lifespan included, and an HTTP client for it."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


@pytest.fixture(scope="session")
def app_client(api: tuple[Starlette, httpx.AsyncClient]) -> httpx.AsyncClient:
    """The real ASGI app behind an HTTP client."""
    return api[1]


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance of the app (its own lifespan, caches and limiter), over HTTP."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@dataclass
class GraphQLResponse:
    """A decoded GraphQL response; `body` without the top-level `extensions` (cost and budget,
    which change with every request), kept apart in `extensions`."""

    status: int
    body: dict[str, Any]
    headers: httpx.Headers
    extensions: dict[str, Any] | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> GraphQLResponse:
        """Decode an HTTP response of /graphql."""
        body = response.json()
        extensions = body.pop("extensions", None)
        return cls(response.status_code, body, response.headers, extensions)

    @property
    def data(self) -> Any:
        assert "errors" not in self.body, self.body.get("errors")
        return self.body["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors", []))

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


@dataclass
class Org:
    """A test organization with keys of every scope."""

    organization: models.Organization
    keys: dict[Scope, str]
    client: httpx.AsyncClient

    @property
    def id(self) -> int:
        return self.organization.id

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        scope: Scope = Scope.ADMIN,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.keys[scope]}", **(headers or {})},
        )
        return GraphQLResponse.of(response)


@pytest.fixture
async def make_org(app_client: httpx.AsyncClient) -> Callable[..., Awaitable[Org]]:
    """Factory of isolated organizations: tests never see each other's rows."""

    async def make(name: str | None = None) -> Org:
        organization = await models.Organization.create(name=name or f"org-{uuid.uuid4().hex[:8]}")
        keys = {
            scope: (await create_api_key(organization.id, scope.name.lower(), scope)).secret
            for scope in Scope
        }
        return Org(organization, keys, app_client)

    return make


@pytest.fixture
async def org(make_org: Callable[..., Awaitable[Org]]) -> Org:
    """One isolated organization."""
    result: Org = await make_org()
    return result


# Pairs of `creatoraudit serve` processes on the session's database, with and without Redis.
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
