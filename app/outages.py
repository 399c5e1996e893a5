"""Backing-service outages: recognising them in exceptions, and logging each one once.

An outage is the database or Redis not answering (refused, reset, closed, timed out, shutting
down). Callers turn it into something a client or a job can wait out: HTTP 503 with
`Retry-After`, a deferred retry, a skipped schedule. Logging every failed attempt would bury the
log during a long outage, so `OutageLog` writes one line when an outage starts and one when it
ends.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from typing import Any

import aiohttp
import asyncpg
import redis.exceptions
from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from tortoise.exceptions import DBConnectionError

logger = logging.getLogger("creatoraudit.outage")

# How long clients are told to wait (Retry-After) while a backing service is unreachable.
RETRY_AFTER_SECONDS = 5


class Service(StrEnum):
    """A backing service whose outage the processes ride out."""

    DATABASE = "database"
    REDIS = "redis"


_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# Redis answering but refusing commands until memory is freed, a failover ends or a disk is
# fixed: out of memory (maxmemory with noeviction), a replica after a failover (READONLY), a
# failed snapshot (MISCONF), a cluster or master down. Waiting is the remedy, as for an outage.
_REDIS_REFUSALS = (
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
)
_REFUSAL_PREFIXES = ("OOM", "READONLY", "MISCONF", "MASTERDOWN", "NOREPLICAS", "CLUSTERDOWN")
_DATABASE_ERRORS = (
    DBConnectionError,
    asyncpg.PostgresConnectionError,  # class 08: connection lost or refused by the server
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, terminated
    asyncpg.exceptions.TooManyConnectionsError,
    # Sockets: refused, reset, unreachable, timed out (ConnectionError and TimeoutError are
    # OSErrors too); asyncpg raises them as they are when it opens a connection.
    OSError,
)


class _DriverRetries(logging.Filter):
    """Drops asyncpg's warning (with a traceback) for each failed reconnection attempt.

    asyncpg's pool reconnects on its own with a doubling delay, logging every failure; the
    outage itself is logged once by `OutageLog` where a request or job meets it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to restore the pool connection")


def quiet_driver_retries() -> None:
    """Install the filter above (idempotent); called where a process opens its database."""
    pool_logger = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, _DriverRetries) for f in pool_logger.filters):
        pool_logger.addFilter(_DriverRetries())


def redis_refuses(exc: BaseException) -> bool:
    """Whether `exc` is Redis refusing work for a while (out of memory, read-only, MISCONF…)."""
    if isinstance(exc, _REDIS_REFUSALS):
        return True
    # Errors raised inside a Lua script keep their code after the script's own prefix.
    text = str(exc)
    return isinstance(exc, redis.exceptions.ResponseError) and (
        text.startswith(_REFUSAL_PREFIXES) or any(f" {p} " in text for p in _REFUSAL_PREFIXES)
    )


def outage_of(exc: BaseException) -> Service | None:
    """The service whose outage caused `exc` (following `raise … from` causes), or None.

    Only explicit causes count: a bug raised while handling an outage is still a bug.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, aiohttp.ClientError):
            return None  # an upstream platform (its socket errors are OSErrors too), not ours
        if isinstance(current, _REDIS_ERRORS) or redis_refuses(current):
            return Service.REDIS
        if isinstance(current, asyncpg.InterfaceError) and "closed" in str(current):
            return Service.DATABASE  # a pooled connection the server closed under us
        if isinstance(current, _DATABASE_ERRORS):
            return Service.DATABASE
        current = current.__cause__
    return None


class OutageLog:
    """One warning when a service becomes unreachable, one info line when it is back."""

    def __init__(self, where: str) -> None:
        self._where = where
        self._since: dict[Service, float] = {}

    def failed(self, service: Service, exc: BaseException) -> bool:
        """Note a failed attempt; True (and a log line) only for the first of an outage."""
        if service in self._since:
            return False
        self._since[service] = time.monotonic()
        error = f"{type(exc).__name__}: {exc}"[:300]
        logger.warning(
            "%s unreachable from %s (%s); retrying with back-off until it is back",
            service,
            self._where,
            error,
            extra={"event": "outage.started", "service": str(service), "where": self._where},
        )
        return True

    def recovered(self, service: Service) -> None:
        """Note a successful attempt; logs the end of the outage if there was one."""
        since = self._since.pop(service, None)
        if since is not None:
            seconds = round(time.monotonic() - since, 1)
            logger.warning(
                "%s reachable again from %s after %.1f s",
                service,
                self._where,
                seconds,
                extra={
                    "event": "outage.ended",
                    "service": str(service),
                    "where": self._where,
                    "seconds": seconds,
                },
            )

    def recovered_all(self) -> None:
        """Note that every service answered (a request or job that succeeded)."""
        for service in list(self._since):
            self.recovered(service)

    def is_down(self, service: Service) -> bool:
        """Whether an outage of `service` is in progress as far as this log knows."""
        return service in self._since


def redis_settings(url: str, timeout_seconds: float) -> RedisSettings:
    """arq/redis-py settings for `url` that retry a command once the connection is stale.

    After a Redis restart every pooled connection is dead; without retries the first command
    on each one fails although the server is back. Retried errors reconnect first. A timeout
    is not retried: a Redis that accepts but does not answer would only make every command
    wait three times as long before it is an outage. `timeout_seconds` bounds connecting
    here; `open_redis` applies it to every command.
    """
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = timeout_seconds  # type: ignore[assignment]  # arq: int, used as float
    settings.retry = Retry(ExponentialBackoff(cap=1.0, base=0.1), retries=2)
    settings.retry_on_error = [redis.exceptions.ConnectionError]
    return settings


async def open_redis(settings: RedisSettings, timeout_seconds: float, **options: Any) -> ArqRedis:
    """arq's `create_pool` (with `options`), every connection bounded by `timeout_seconds`.

    arq passes no socket timeout to redis-py, so a command to a hung Redis (SIGSTOPped, a
    network path that drops packets) would wait forever; with it, the command raises
    `redis.exceptions.TimeoutError`, which is an outage. The connection arq opened to ping is
    dropped so that every connection is made with the timeout.
    """
    pool = await create_pool(settings, **options)
    connections = pool.connection_pool
    connections.connection_kwargs["socket_timeout"] = timeout_seconds
    connections.connection_kwargs["socket_connect_timeout"] = timeout_seconds
    await connections.disconnect()
    connections.reset()  # type: ignore[no-untyped-call]
    return pool
