"""Reading cumulative rows in batches: one statement per batch, whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from app.metrics import sql
from app.metrics.attribution import COLUMNS, KNOWN_FROM, KnownFrom, Row
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


async def load_points(keys: Sequence[PointKey]) -> dict[PointKey, Row | None]:
    """For each (scope, day), the scope's latest row at or before that day (None if none)."""
    conn = sql.connection()
    read = _points_postgres if sql.is_postgres(conn) else _points_sqlite
    found: dict[PointKey, Row | None] = {}
    unique = list(dict.fromkeys(keys))
    for offset in range(0, len(unique), _CHUNK):
        found.update(await read(conn, unique[offset : offset + _CHUNK]))
    return found


async def _points_postgres(conn: Any, chunk: Sequence[PointKey]) -> dict[PointKey, Row | None]:
    # Each point's row as one array (decoded in the driver's C code), null when there is none.
    _, records = await conn.execute_query(
        f"SELECT k.kind, k.sid, k.d, (SELECT ARRAY[{_PLAIN_COLUMNS}]::bigint[] FROM metric_day "
        "WHERE scope_kind = k.kind AND scope_id = k.sid AND day <= k.d "
        "ORDER BY day DESC LIMIT 1) AS row "
        "FROM unnest($1::int[], $2::int[], $3::date[]) AS k(kind, sid, d)",
        [[int(k[0]) for k in chunk], [k[1] for k in chunk], [k[2] for k in chunk]],
    )
    return {(ScopeKind(r["kind"]), r["sid"], r["d"]): r["row"] for r in records}


async def _points_sqlite(conn: Any, chunk: Sequence[PointKey]) -> dict[PointKey, Row | None]:
    values = ", ".join("(?, ?, ?)" for _ in chunk)
    _, records = await conn.execute_query(
        f"WITH k(kind, sid, d) AS (VALUES {values}) SELECT k.kind, k.sid, k.d, "
        + _COLUMN_LIST
        + " FROM k LEFT JOIN metric_day m ON m.id = (SELECT id FROM metric_day "
        "WHERE scope_kind = k.kind AND scope_id = k.sid AND day <= k.d "
        "ORDER BY day DESC LIMIT 1)",
        [v for k in chunk for v in (int(k[0]), k[1], k[2].isoformat())],
    )
    return {
        (ScopeKind(int(r["kind"])), int(r["sid"]), sql.as_date(r["d"])): _row(r) for r in records
    }


async def load_ranges(
    kind: ScopeKind, ids: Sequence[int], start: date, end: date
) -> dict[int, list[tuple[date, Row]]]:
    """Each scope's rows dated within [start, end], in date order."""
    conn = sql.connection()
    if sql.is_postgres(conn):
        return await _ranges_as_arrays(conn, kind, ids, start, end)
    ranges: dict[int, list[tuple[date, Row]]] = defaultdict(list)
    unique = list(dict.fromkeys(ids))
    for offset in range(0, len(unique), _CHUNK):
        chunk = unique[offset : offset + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        records = await sql.fetch_rows(
            conn,
            f"SELECT m.scope_id, m.day, {_COLUMN_LIST} FROM metric_day m "
            f"WHERE m.scope_kind = ? AND m.scope_id IN ({marks}) AND m.day >= ? AND m.day <= ? "
            "ORDER BY m.scope_id, m.day",
            [int(kind), *chunk, start, end],
        )
        for record in records:
            row = _row(record)
            assert row is not None
            ranges[int(record["scope_id"])].append((sql.as_date(record["day"]), row))
    return ranges


async def _ranges_as_arrays(
    conn: Any, kind: ScopeKind, ids: Sequence[int], start: date, end: date
) -> dict[int, list[tuple[date, Row]]]:
    # One row per scope holding its days and rows as arrays: the driver decodes arrays in C,
    # where a row per scope and day (3,000 for a dashboard page) costs far more to decode.
    _, records = await conn.execute_query(
        "SELECT m.scope_id, array_agg(m.day ORDER BY m.day) AS days, "
        f"array_agg(ARRAY[{_COLUMN_LIST}]::bigint[] ORDER BY m.day) AS rows FROM metric_day m "
        "WHERE m.scope_kind = $1 AND m.scope_id = ANY($2::int[]) AND m.day >= $3 "
        "AND m.day <= $4 GROUP BY m.scope_id",
        [int(kind), list(dict.fromkeys(ids)), start, end],
    )
    # Rows stay the driver's lists: everything downstream only indexes and unpacks them.
    return {int(r["scope_id"]): list(zip(r["days"], r["rows"], strict=True)) for r in records}


async def load_observed_days(
    kind: ScopeKind, ids: Sequence[int], start: date, end: date
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
            f"SELECT scope_id, day FROM metric_day WHERE scope_kind = ? AND scope_id IN ({marks}) "
            "AND day >= ? AND day <= ? AND observations > 0",
            [int(kind), *chunk, start, end],
        )
        for record in records:
            days[int(record["scope_id"])].add(sql.as_date(record["day"]))
    return days


async def load_known(keys: Sequence[ScopeKey]) -> dict[ScopeKey, KnownFrom]:
    """Each scope's first-known date per counter (all None for a scope with no history)."""
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
                f"WHERE scope_kind = ? AND scope_id IN ({marks})",
                [int(kind), *chunk],
            )
            for record in records:
                known[(kind, int(record["scope_id"]))] = {
                    name: (sql.as_date(v) if (v := record[f"{name}_from"]) is not None else None)
                    for name in KNOWN_FROM
                }
    return known
