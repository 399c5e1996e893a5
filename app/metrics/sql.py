"""Raw SQL shared by the metric store and reader, for PostgreSQL and SQLite alike.

Statements are written with `?` placeholders and converted to `$n` for asyncpg. Dates travel as
`date` objects to PostgreSQL and as ISO strings to SQLite (how Tortoise stores them there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    """The default connection (or the current transaction's)."""
    client: BaseDBAsyncClient = connections.get("default")
    return client


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    """True for PostgreSQL, False for SQLite."""
    return conn.capabilities.dialect == "postgres"


def placeholders(conn: BaseDBAsyncClient, sql: str) -> str:
    """Convert `?` placeholders to the connection's style."""
    if not is_postgres(conn):
        return sql
    parts = sql.split("?")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        out.append(f"${index}{part}")
    return "".join(out)


def param(conn: BaseDBAsyncClient, value: Any) -> Any:
    """A parameter value in the form the driver expects (on SQLite, the form Tortoise stores)."""
    if is_postgres(conn) or not isinstance(value, date):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(" ")
    return value.isoformat()


def as_date(value: Any) -> date:
    """A date read back from either driver."""
    return value if isinstance(value, date) else date.fromisoformat(value)


async def fetch(
    conn: BaseDBAsyncClient, sql: str, values: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts."""
    return await conn.execute_query_dict(placeholders(conn, sql), [param(conn, v) for v in values])


async def fetch_rows(
    conn: BaseDBAsyncClient, sql: str, values: Sequence[Any] = ()
) -> Sequence[Any]:
    """Run a query and return the driver's rows (indexable by column name), without copying."""
    _, rows = await conn.execute_query(placeholders(conn, sql), [param(conn, v) for v in values])
    return rows


async def execute(conn: BaseDBAsyncClient, sql: str, values: Sequence[Any] = ()) -> None:
    """Run a statement."""
    await conn.execute_query(placeholders(conn, sql), [param(conn, v) for v in values])


def typed(conn: BaseDBAsyncClient, sql_type: str) -> str:
    """A placeholder that PostgreSQL can type inside VALUES lists (SQLite needs no cast)."""
    return f"?::{sql_type}" if is_postgres(conn) else "?"


def least(conn: BaseDBAsyncClient, left: str, right: str) -> str:
    """SQL for the smaller of two nullable values, ignoring nulls."""
    if is_postgres(conn):
        return f"LEAST({left}, {right})"
    return f"COALESCE(MIN({left}, {right}), {left}, {right})"
