"""Which exceptions are outages of which service, and how often an outage is logged."""

from __future__ import annotations

import logging

import aiohttp
import asyncpg
import pytest
import redis.exceptions
from tortoise.exceptions import DBConnectionError

from app.outages import OutageLog, Service, outage_of
from app.services.rate_limit import RateLimiterUnavailable


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
        (_caused(RuntimeError("wrapped"), ConnectionRefusedError()), Service.DATABASE),
        # Not outages of ours: a bug, an upstream platform, a bug raised while handling one.
        (ValueError("bad value"), None),
        (asyncpg.InterfaceError("another operation is in progress"), None),
        (asyncpg.UniqueViolationError("duplicate key"), None),
        (aiohttp.ClientConnectionError("upstream refused"), None),
        (_during(KeyError("bug"), ConnectionRefusedError()), None),
    ],
)
def test_outage_of_names_the_service_that_is_down(exc: Exception, service: Service | None) -> None:
    assert outage_of(exc) == service


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
