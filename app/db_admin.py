"""Creating and dropping whole PostgreSQL databases (benchmarks and the test suite)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


def _split(url: str) -> tuple[str, str]:
    """(server part, database name) of a postgres:// URL."""
    base, name = url.rsplit("/", 1)
    return base, name


async def _admin(base: str) -> asyncpg.Connection:
    """A connection to the server's `postgres` database, where CREATE/DROP DATABASE run."""
    return await asyncpg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1))


async def recreate_database(url: str) -> None:
    """Drop the database `url` names (if it exists) and create it empty."""
    base, name = _split(url)
    admin = await _admin(base)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


@asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new uniquely named empty database on `server_url`'s server, dropped afterwards."""
    base, _ = _split(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await _admin(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{base}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
