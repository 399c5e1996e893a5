"""Sets of rows handed to one statement: `unnest` arrays on PostgreSQL, a JSON array on SQLite.

A set-based write names its input once (`rows(...)`) and joins it like a table, so the number
of statements does not grow with the number of rows. PostgreSQL receives one typed array per
column; SQLite one JSON text that `json_each` unpacks (`value->>n` is the n-th column). Dates
and moments travel in the form Tortoise stores them on SQLite: ISO dates, and UTC moments as
`YYYY-MM-DD HH:MM:SS[.ffffff]+00:00`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from app.metrics.sql import is_postgres

__all__ = ["Fragment", "ids", "rows"]

Fragment = tuple[str, list[Any]]  # SQL with `?` placeholders, and their values in order


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def rows(
    conn: BaseDBAsyncClient,
    alias: str,
    columns: Sequence[tuple[str, str]],
    values: Iterable[Sequence[Any]],
) -> Fragment:
    """A FROM item named `alias` with the given (name, PostgreSQL type) columns and rows."""
    names = [name for name, _ in columns]
    data = list(values)
    if is_postgres(conn):
        arrays = [list(c) for c in zip(*data, strict=True)] if data else [[] for _ in columns]
        marks = ", ".join(f"?::{sql_type}[]" for _, sql_type in columns)
        return f"unnest({marks}) AS {alias}({', '.join(names)})", arrays
    picks = ", ".join(f"value->>{index} AS {name}" for index, name in enumerate(names))
    payload = orjson.dumps([[_sqlite_value(v) for v in row] for row in data]).decode()
    return f"(SELECT {picks} FROM json_each(?)) AS {alias}", [payload]


def ids(conn: BaseDBAsyncClient, column: str, values: Iterable[int]) -> Fragment:
    """A condition: `column` is one of the given integers."""
    data = sorted(set(values))
    if is_postgres(conn):
        return f"{column} = ANY(?::int[])", [data]
    return f"{column} IN (SELECT value FROM json_each(?))", [orjson.dumps(data).decode()]
