"""Which exceptions are outages of which service, and how often an outage is logged."""

from __future__ import annotations

import logging
import time

import aiohttp
import asyncpg
import pytest
import redis.exceptions
from tortoise.exceptions import DBConnectionError

from app.db import Role, tortoise_config
from app.outages import OutageLog, Service, outage_of
from app.services.rate_limit import RateLimiterUnavailable
from app.settings import Settings, TimeoutSettings
from tests.conftest import ENGINE


def _caused(exc: Exception, cause: Exception) -> Exception:
    try:
        raise exc from cause
    except Exception as raised:
        return raised


def _during(exc: Exception, handled: Exception) -> Exception:
    try:
        try:
            raise handled
        except Exception:
            raise exc  # noqa: B904  (an implicit context on purpose)
    except Exception as raised:
        return raised


@pytest.mark.parametrize(
    ("exc", "service"),
    [
        (ConnectionRefusedError(111, "Connection refused"), Service.DATABASE),
        (ConnectionResetError(104, "reset"), Service.DATABASE),
        (TimeoutError(), Service.DATABASE),
        (DBConnectionError("no database"), Service.DATABASE),
        (asyncpg.ConnectionDoesNotExistError("closed in the middle"), Service.DATABASE),
        (asyncpg.CannotConnectNowError("the database system is starting up"), Service.DATABASE),
        (asyncpg.InterfaceError("connection is closed"), Service.DATABASE),
        (redis.exceptions.ConnectionError("Error 111 connecting"), Service.REDIS),
        (redis.exceptions.TimeoutError("Timeout reading"), Service.REDIS),
        (
            _caused(RateLimiterUnavailable("unavailable"), redis.exceptions.ConnectionError()),
            Service.REDIS,
        ),
        # Redis answering but refusing writes for a while: as good as down.
        (redis.exceptions.OutOfMemoryError("command not allowed when used memory"), Service.REDIS),
        (
            redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
            Service.REDIS,
        ),
        (redis.exceptions.ResponseError("MISCONF Redis is configured to save RDB"), Service.REDIS),
        (
            redis.exceptions.ResponseError("Error in script: OOM command not allowed when used"),
            Service.REDIS,
        ),
        (_caused(RuntimeError("wrapped"), ConnectionRefusedError()), Service.DATABASE),
        # Not outages of ours: a bug, an upstream platform, a bug raised while handling one.
        (ValueError("bad value"), None),
        (asyncpg.InterfaceError("another operation is in progress"), None),
        (asyncpg.UniqueViolationError("duplicate key"), None),
        (redis.exceptions.ResponseError("WRONGTYPE Operation against a key"), None),
        (aiohttp.ClientConnectionError("upstream refused"), None),
        (_during(KeyError("bug"), ConnectionRefusedError()), None),
    ],
)
def test_outage_of_names_the_service_that_is_down(exc: Exception, service: Service | None) -> None:
    assert outage_of(exc) == service


@pytest.mark.skipif(ENGINE != "postgres", reason="asyncpg's statement timeout")
async def test_a_statement_over_the_timeout_is_a_database_outage(settings: Settings) -> None:
    timeouts = TimeoutSettings(database_statement_seconds=0.3)
    short = settings.model_copy(update={"timeouts": timeouts})
    credentials = tortoise_config(short, role="serve")["connections"]["default"]
    options = {k: v for k, v in credentials["credentials"].items() if k != "reset"}
    assert options["command_timeout"] == 0.3
    connection = await asyncpg.connect(**options)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as raised:
            await connection.fetch("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
        assert outage_of(raised.value) is Service.DATABASE
    finally:
        connection.terminate()


def test_each_role_gets_its_statement_timeout_and_zero_means_none(settings: Settings) -> None:
    if ENGINE != "postgres":
        assert isinstance(tortoise_config(settings)["connections"]["default"], str)
        return
    cases: list[tuple[Role, dict[str, float], float | None]] = [
        ("serve", {}, 15.0),
        ("worker", {}, 5.0),
        ("command", {}, 600.0),
        ("command", {"database_long_statement_seconds": 0}, None),
    ]
    for role, changes, expected in cases:
        timeouts = TimeoutSettings(**changes)
        configured = settings.model_copy(update={"timeouts": timeouts})
        connection = tortoise_config(configured, role=role)["connections"]["default"]
        assert connection["credentials"]["command_timeout"] == expected, role
        assert connection["credentials"]["timeout"] == timeouts.database_connect_seconds


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = OutageLog("a test")
    with caplog.at_level(logging.INFO, logger="creatoraudit.outage"):
        assert log.failed(Service.DATABASE, ConnectionRefusedError()) is True
        for _ in range(5):
            assert log.failed(Service.DATABASE, ConnectionRefusedError()) is False
        assert log.is_down(Service.DATABASE)
        log.recovered(Service.DATABASE)
        log.recovered(Service.DATABASE)
        assert log.failed(Service.DATABASE, ConnectionRefusedError()) is True  # a new outage
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events == ["outage.started", "outage.ended", "outage.started"]
