"""Reading cumulative rows in batches: one statement per batch, whatever its size.

Every read is of one organization's scopes (a request's tenant) and names it first, as the
unique keys of `metric_day` and `metric_scope` do: each statement is an index range scan of that
organization's rows, and routes to one shard when the tables are distributed by organization.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any

from app.metrics import sql
from app.metrics.attribution import COLUMNS, KNOWN_FROM, KnownFrom, Row
from app.metrics.series import Columns, DayRows
from app.models import ScopeKind

ScopeKey = tuple[ScopeKind, int]
PointKey = tuple[ScopeKind, int, date]

_COLUMN_LIST = ", ".join(f"m.{c}" for c in COLUMNS)
_PLAIN_COLUMNS = ", ".join(COLUMNS)
_CHUNK = 2000  # keeps SQLite under its bound-parameter limit


_VALUES = itemgetter(*COLUMNS)


def _row(record: Any) -> Row | None:
    if record["observations"] is None:
        return None
    values: Row = _VALUES(record)
    return values


async def load_points(organization_id: int, keys: Sequence[PointKey]) -> dict[PointKey, Row | None]:
    """For each (scope, day) of the organization, the scope's latest row at or before that day
    (None if none)."""
    conn = sql.connection()
    read = _points_postgres if sql.is_postgres(conn) else _points_sqlite
    found: dict[PointKey, Row | None] = {}
    unique = list(dict.fromkeys(keys))
    for offset in range(0, len(unique), _CHUNK):
        found.update(await read(conn, organization_id, unique[offset : offset + _CHUNK]))
    return found


async def _points_postgres(
    conn: Any, organization_id: int, chunk: Sequence[PointKey]
) -> dict[PointKey, Row | None]:
    # Each point's row as one array (decoded in the driver's C code), null when there is none.
    _, records = await conn.execute_query(
        f"SELECT k.kind, k.sid, k.d, (SELECT ARRAY[{_PLAIN_COLUMNS}]::bigint[] FROM metric_day "
        "WHERE organization_id = $4 AND scope_kind = k.kind AND scope_id = k.sid AND day <= k.d "
        "ORDER BY day DESC LIMIT 1) AS row "
        "FROM unnest($1::int[], $2::int[], $3::date[]) AS k(kind, sid, d)",
        [[int(k[0]) for k in chunk], [k[1] for k in chunk], [k[2] for k in chunk], organization_id],
    )
    # The kind stays the driver's int: ScopeKind is an IntEnum, equal and hashed alike.
    return {(r["kind"], r["sid"], r["d"]): r["row"] for r in records}


async def _points_sqlite(
    conn: Any, organization_id: int, chunk: Sequence[PointKey]
) -> dict[PointKey, Row | None]:
    values = ", ".join("(?, ?, ?)" for _ in chunk)
    _, records = await conn.execute_query(
        f"WITH k(kind, sid, d) AS (VALUES {values}) SELECT k.kind, k.sid, k.d, "
        + _COLUMN_LIST
        + " FROM k LEFT JOIN metric_day m ON m.organization_id = ? AND m.id = (SELECT id "
        "FROM metric_day WHERE organization_id = ? AND scope_kind = k.kind AND scope_id = k.sid "
        "AND day <= k.d ORDER BY day DESC LIMIT 1)",
        [
            *(v for k in chunk for v in (int(k[0]), k[1], k[2].isoformat())),
            organization_id,
            organization_id,
        ],
    )
    return {
        (ScopeKind(int(r["kind"])), int(r["sid"]), sql.as_date(r["d"])): _row(r) for r in records
    }


async def load_ranges(
    organization_id: int,
    kind: ScopeKind,
    ids: Sequence[int],
    start: date,
    end: date,
    columns: Columns = COLUMNS,
) -> dict[int, DayRows]:
    """Each scope's rows dated within [start, end], column by column (scopes without any: absent).

    Only `columns` need be read (PostgreSQL reads just those; the others are None).
    """
    conn = sql.connection()
    if sql.is_postgres(conn):
        return await _ranges_as_arrays(conn, organization_id, kind, ids, start, end, columns)
    found: dict[int, list[tuple[int, Row]]] = defaultdict(list)
    unique = list(dict.fromkeys(ids))
    for offset in range(0, len(unique), _CHUNK):
        chunk = unique[offset : offset + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        records = await sql.fetch_rows(
            conn,
            f"SELECT m.scope_id, m.day, {_COLUMN_LIST} FROM metric_day m "
            f"WHERE m.organization_id = ? AND m.scope_kind = ? AND m.scope_id IN ({marks}) "
            "AND m.day >= ? AND m.day <= ? ORDER BY m.scope_id, m.day",
            [organization_id, int(kind), *chunk, start, end],
        )
        for record in records:
            row = _row(record)
            assert row is not None
            day = (sql.as_date(record["day"]) - start).days
            found[int(record["scope_id"])].append((day, row))
    return {sid: _columns(rows) for sid, rows in found.items()}


def _columns(rows: list[tuple[int, Row]]) -> DayRows:
    offsets, values = zip(*rows, strict=True)
    return DayRows(list(offsets), [list(column) for column in zip(*values, strict=True)])


@lru_cache(maxsize=64)
def _ranges_statement(columns: Columns) -> str:
    arrays = "".join(f", array_agg(m.{c}) AS {c}" for c in columns)
    return (
        f"SELECT m.scope_id, array_agg(m.day - $3::date) AS offsets{arrays} "
        "FROM (SELECT * FROM metric_day WHERE organization_id = $5 AND scope_kind = $1 "
        "AND scope_id = ANY($2::int[]) AND day >= $3 AND day <= $4 ORDER BY scope_id, day) m "
        "GROUP BY m.scope_id"
    )


async def _ranges_as_arrays(
    conn: Any,
    organization_id: int,
    kind: ScopeKind,
    ids: Sequence[int],
    start: date,
    end: date,
    columns: Columns,
) -> dict[int, DayRows]:
    # One row per scope holding each column as an array, decoded in the driver's C code: a
    # row per scope and day (3,000 for a dashboard page), or an array per day, costs far more.
    # The aggregates read a subquery sorted by day rather than sorting each array again (one
    # sort instead of eleven); `_in_day_order` checks the order PostgreSQL kept.
    _, records = await conn.execute_query(
        _ranges_statement(columns),
        [int(kind), list(dict.fromkeys(ids)), start, end, organization_id],
    )
    # The driver's lists are kept: the series only index, slice and map over them.
    read = [c if c in columns else None for c in COLUMNS]
    unread = frozenset(COLUMNS).difference(columns)
    return {
        int(r["scope_id"]): _in_day_order(
            DayRows(r["offsets"], [None if c is None else r[c] for c in read], unread)
        )
        for r in records
    }


def _in_day_order(rows: DayRows) -> DayRows:
    offsets = rows.offsets
    if list(offsets) == sorted(offsets):
        return rows
    order = sorted(range(len(offsets)), key=offsets.__getitem__)
    return DayRows(
        [offsets[i] for i in order],
        [None if column is None else [column[i] for i in order] for column in rows.columns],
        rows.unread,
    )


async def load_observed_days(
    organization_id: int, kind: ScopeKind, ids: Sequence[int], start: date, end: date
) -> dict[int, set[date]]:
    """Each scope's dates within [start, end] that had at least one observation."""
    conn = sql.connection()
    days: dict[int, set[date]] = defaultdict(set)
    unique = list(dict.fromkeys(ids))
    for offset in range(0, len(unique), _CHUNK):
        chunk = unique[offset : offset + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        records = await sql.fetch_rows(
            conn,
            "SELECT scope_id, day FROM metric_day WHERE organization_id = ? AND scope_kind = ? "
            f"AND scope_id IN ({marks}) AND day >= ? AND day <= ? AND observations > 0",
            [organization_id, int(kind), *chunk, start, end],
        )
        for record in records:
            days[int(record["scope_id"])].add(sql.as_date(record["day"]))
    return days


async def load_known(organization_id: int, keys: Sequence[ScopeKey]) -> dict[ScopeKey, KnownFrom]:
    """Each of the organization's scopes' first-known date per counter (all None for a scope
    with no history)."""
    conn = sql.connection()
    known: dict[ScopeKey, KnownFrom] = {key: dict.fromkeys(KNOWN_FROM) for key in keys}
    by_kind: dict[ScopeKind, list[int]] = defaultdict(list)
    for kind, scope_id in dict.fromkeys(keys):
        by_kind[kind].append(scope_id)
    columns = ", ".join(f"{name}_from" for name in KNOWN_FROM)
    for kind, ids in by_kind.items():
        for offset in range(0, len(ids), _CHUNK):
            chunk = ids[offset : offset + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            records = await sql.fetch_rows(
                conn,
                f"SELECT scope_id, {columns} FROM metric_scope "
                f"WHERE organization_id = ? AND scope_kind = ? AND scope_id IN ({marks})",
                [organization_id, int(kind), *chunk],
            )
            for record in records:
                known[(kind, int(record["scope_id"]))] = {
                    name: (sql.as_date(v) if (v := record[f"{name}_from"]) is not None else None)
                    for name in KNOWN_FROM
                }
    return known
