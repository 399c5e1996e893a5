"""Telling an outage of our own services from a failure that would happen again.

A refresh can fail for reasons that are neither the platform's nor lasting: PostgreSQL or
Redis restarting, a dropped connection, SQLite busy. Retrying those later succeeds, so they
must never put an account in ERROR (it would then wait a whole interval after the outage).
Anything else that is ours — a constraint or value the database refuses, a bug — would fail the
same way every time, and is given up after a bounded number of attempts.
"""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions
import redis.exceptions
from tortoise.exceptions import DBConnectionError

__all__ = ["is_outage"]

_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError
    asyncpg.exceptions.PostgresConnectionError,  # includes a connection that went away
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    DBConnectionError,
)


def is_outage(error: BaseException) -> bool:
    """True when `error`, or an exception it was raised from, means a service is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _OUTAGES):
            return True
        if isinstance(current, sqlite3.OperationalError) and "locked" in str(current):
            return True  # another writer holds the SQLite file: busy, not broken
        current = current.__cause__ or current.__context__
    return False
