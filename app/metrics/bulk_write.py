"""The writes of a set-based store write: one statement per kind of change, for every row.

Each function takes every row of its kind at once and sends one statement (none for no rows):
snapshots merged, entity rows replaced, aggregate rows ensured and moved, first-known dates
stored, merged or recomputed, and the denormalised latest values. Every statement on
`metric_day`, `metric_scope` and the snapshot tables names the organization (and conflicts on
keys that lead with it), so distributing those tables by organization needs no rewrite.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.metrics import sql
from app.metrics.attribution import COLUMNS, CUMULATIVE
from app.metrics.bulk_read import FROM_COLUMNS
from app.metrics.scopes import Scope
from app.metrics.sources import ids, rows
from app.models import ScopeKind

_KEY = [("org", "int"), ("kind", "int"), ("sid", "int")]
_SCOPE_MATCH = "{t}.organization_id = s.org AND {t}.scope_kind = s.kind AND {t}.scope_id = s.sid"


async def upsert_snapshots(
    conn: BaseDBAsyncClient,
    table: str,
    owner: str,
    fields: Sequence[str],
    values: Sequence[Sequence[Any]],
) -> None:
    """Insert or overwrite snapshots: (organization, owner id, day, observed_at, *fields)."""
    if not values:
        return
    columns = [("organization_id", "int"), (owner, "int"), ("day", "date")]
    columns += [("observed_at", "timestamptz"), *((name, "bigint") for name in fields)]
    source, params = rows(conn, "s", columns, values)
    names = ", ".join(name for name, _ in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name, _ in columns[3:])
    await sql.execute(
        conn,
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {source} WHERE true "
        f"ON CONFLICT (organization_id, {owner}, day) DO UPDATE SET {updates}",
        params,
    )


async def delete_rows(conn: BaseDBAsyncClient, keys: Sequence[Sequence[Any]]) -> None:
    """Delete metric_day rows: (organization, kind, scope id, day) per row."""
    if not keys:
        return
    source, params = rows(conn, "s", [*_KEY, ("day", "date")], keys)
    await sql.execute(
        conn,
        "DELETE FROM metric_day WHERE (organization_id, scope_kind, scope_id, day) IN "
        f"(SELECT s.org, s.kind, s.sid, s.day FROM {source})",
        params,
    )


async def upsert_rows(conn: BaseDBAsyncClient, values: Sequence[Sequence[Any]]) -> None:
    """Insert or overwrite metric_day rows: (organization, kind, scope id, day, *COLUMNS)."""
    if not values:
        return
    columns = [*_KEY, ("day", "date"), *((name, "bigint") for name in COLUMNS)]
    source, params = rows(conn, "s", columns, values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS)
    await sql.execute(
        conn,
        f"INSERT INTO metric_day (organization_id, scope_kind, scope_id, day, "
        f"{', '.join(COLUMNS)}) SELECT s.org, s.kind, s.sid, s.day, "
        f"{', '.join(f's.{c}' for c in COLUMNS)} FROM {source} WHERE true "
        f"ON CONFLICT (organization_id, scope_kind, scope_id, day) DO UPDATE SET {updates}",
        params,
    )


async def upsert_known(
    conn: BaseDBAsyncClient, values: Sequence[Sequence[Any]], *, merge: bool
) -> None:
    """Store first-known dates: (organization, kind, scope id, *dates) per row.

    `merge` keeps the earlier of the stored and the given date of each counter.
    """
    if not values:
        return
    source, params = rows(conn, "s", [*_KEY, *((c, "date") for c in FROM_COLUMNS)], values)
    if merge:
        updates = ", ".join(
            f"{c} = {sql.least(conn, f'metric_scope.{c}', f'excluded.{c}')}" for c in FROM_COLUMNS
        )
    else:
        updates = ", ".join(f"{c} = excluded.{c}" for c in FROM_COLUMNS)
    await sql.execute(
        conn,
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, "
        f"{', '.join(FROM_COLUMNS)}) SELECT s.org, s.kind, s.sid, "
        f"{', '.join(f's.{c}' for c in FROM_COLUMNS)} FROM {source} WHERE true "
        f"ON CONFLICT (organization_id, scope_kind, scope_id) DO UPDATE SET {updates}",
        params,
    )


async def delete_known(conn: BaseDBAsyncClient, keys: Sequence[Sequence[Any]]) -> None:
    """Delete metric_scope rows: (organization, kind, scope id) per row."""
    if not keys:
        return
    source, params = rows(conn, "s", _KEY, keys)
    await sql.execute(
        conn,
        "DELETE FROM metric_scope WHERE (organization_id, scope_kind, scope_id) IN "
        f"(SELECT s.org, s.kind, s.sid FROM {source})",
        params,
    )


async def ensure_rows(conn: BaseDBAsyncClient, keys: Sequence[Sequence[Any]]) -> None:
    """Give scopes a row on days: (organization, kind, scope id, day), each a copy of the
    scope's latest row before that day as the statement found it (the value before the move)."""
    if not keys:
        return
    source, params = rows(conn, "s", [*_KEY, ("day", "date")], keys)
    copied = ", ".join(f"COALESCE(p.{c}, 0)" for c in CUMULATIVE)
    await sql.execute(
        conn,
        f"INSERT INTO metric_day (organization_id, scope_kind, scope_id, day, observations, "
        f"{', '.join(CUMULATIVE)}) SELECT s.org, s.kind, s.sid, s.day, 0, {copied} "
        f"FROM {source} LEFT JOIN metric_day p ON p.organization_id = s.org "
        "AND p.id = (SELECT x.id FROM metric_day x "
        "WHERE x.organization_id = s.org AND x.scope_kind = s.kind AND x.scope_id = s.sid "
        "AND x.day < s.day ORDER BY x.day DESC LIMIT 1) "
        "WHERE true ON CONFLICT (organization_id, scope_kind, scope_id, day) DO NOTHING",
        params,
    )


async def move_rows(conn: BaseDBAsyncClient, segments: Sequence[Sequence[Any]]) -> None:
    """Add deltas to date ranges: (organization, kind, scope id, start, stop|None, *delta)."""
    if not segments:
        return
    columns = [*_KEY, ("start", "date"), ("stop", "date")]
    columns += [(f"d_{c}", "bigint") for c in CUMULATIVE]
    source, params = rows(conn, "s", columns, segments)
    assignments = ", ".join(f"{c} = {c} + s.d_{c}" for c in CUMULATIVE)
    await sql.execute(
        conn,
        f"UPDATE metric_day SET {assignments} FROM {source} "
        f"WHERE {_SCOPE_MATCH.format(t='metric_day')} AND metric_day.day >= s.start "
        "AND (s.stop IS NULL OR metric_day.day < s.stop)",
        params,
    )


async def move_observations(conn: BaseDBAsyncClient, values: Sequence[Sequence[Any]]) -> None:
    """Add to days' observation counts: (organization, kind, scope id, day, delta) per row."""
    if not values:
        return
    source, params = rows(conn, "s", [*_KEY, ("day", "date"), ("delta", "bigint")], values)
    await sql.execute(
        conn,
        f"UPDATE metric_day SET observations = observations + s.delta FROM {source} "
        f"WHERE {_SCOPE_MATCH.format(t='metric_day')} AND metric_day.day = s.day",
        params,
    )


def _known_upsert(conn: BaseDBAsyncClient, select: str) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in FROM_COLUMNS)
    return (
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, "
        f"{', '.join(FROM_COLUMNS)}) {select} "
        f"ON CONFLICT (organization_id, scope_kind, scope_id) DO UPDATE SET {updates}"
    )


async def recompute_account_known(
    conn: BaseDBAsyncClient, accounts: Sequence[Sequence[Any]]
) -> None:
    """Account scopes' first-known dates from their members: (organization, account id)."""
    if not accounts:
        return
    source, params = rows(conn, "t", [("org", "int"), ("aid", "int")], accounts)
    earliest = ", ".join(sql.least(conn, f"MIN(p.{c})", f"MIN(m.{c})") for c in FROM_COLUMNS)
    select = (
        f"SELECT t.org, {int(ScopeKind.ACCOUNT)}, t.aid, {earliest} FROM {source} "
        f"LEFT JOIN metric_scope p ON p.organization_id = t.org "
        f"AND p.scope_kind = {int(ScopeKind.PROFILE)} AND p.scope_id = t.aid "
        "LEFT JOIN video v ON v.organization_id = t.org AND v.account_id = t.aid "
        f"LEFT JOIN metric_scope m ON m.organization_id = t.org "
        f"AND m.scope_kind = {int(ScopeKind.VIDEO)} AND m.scope_id = v.id "
        "WHERE true GROUP BY t.org, t.aid"
    )
    await sql.execute(conn, _known_upsert(conn, select), params)


async def recompute_organization_known(
    conn: BaseDBAsyncClient, organization_ids: Collection[int]
) -> None:
    """Organization scopes' first-known dates from every profile and video they hold."""
    if not organization_ids:
        return
    source, params = rows(conn, "t", [("org", "int")], [[o] for o in sorted(organization_ids)])
    earliest = ", ".join(f"MIN(m.{c})" for c in FROM_COLUMNS)
    select = (
        f"SELECT t.org, {int(ScopeKind.ORGANIZATION)}, t.org, {earliest} FROM {source} "
        "LEFT JOIN metric_scope m ON m.organization_id = t.org "
        f"AND m.scope_kind IN ({int(ScopeKind.PROFILE)}, {int(ScopeKind.VIDEO)}) "
        "WHERE true GROUP BY t.org"
    )
    await sql.execute(conn, _known_upsert(conn, select), params)


async def set_video_latest(conn: BaseDBAsyncClient, values: Sequence[Sequence[Any]]) -> None:
    """Store videos' latest known counters: (video id, views, plays, likes, comments, shares,
    saves) per row, None where unknown."""
    if not values:
        return
    names = ("views", "plays", "likes", "comments", "shares", "saves")
    source, params = rows(conn, "s", [("vid", "int"), *((n, "bigint") for n in names)], values)
    assignments = ", ".join(f"{n} = s.{n}" for n in names)
    await sql.execute(
        conn, f"UPDATE video SET {assignments} FROM {source} WHERE video.id = s.vid", params
    )


async def set_profile_latest(conn: BaseDBAsyncClient, values: Sequence[Sequence[Any]]) -> None:
    """Store accounts' latest known profile counters: (account id, followers, following, posts)."""
    if not values:
        return
    columns = [
        ("aid", "int"),
        ("followers", "bigint"),
        ("following", "bigint"),
        ("posts", "bigint"),
    ]
    source, params = rows(conn, "s", columns, values)
    await sql.execute(
        conn,
        f"UPDATE account SET followers = s.followers, following = s.following, "
        f"posts_count = s.posts FROM {source} WHERE account.id = s.aid",
        params,
    )


def _latest_total(name: str) -> str:
    account = int(ScopeKind.ACCOUNT)
    return (
        f"CASE WHEN (SELECT k.{name}_from FROM metric_scope k WHERE k.organization_id = "
        f"account.organization_id AND k.scope_kind = {account} AND k.scope_id = account.id) "
        f"IS NOT NULL THEN (SELECT d.{name} FROM metric_day d WHERE d.organization_id = "
        f"account.organization_id AND d.scope_kind = {account} AND d.scope_id = account.id "
        "ORDER BY d.day DESC LIMIT 1) END"
    )


async def refresh_account_totals(conn: BaseDBAsyncClient, account_ids: Collection[int]) -> None:
    """Store accounts' total views and likes: their account scope's latest values, if known."""
    if not account_ids:
        return
    condition, params = ids(conn, "id", account_ids)
    await sql.execute(
        conn,
        f"UPDATE account SET total_views = {_latest_total('views')}, "
        f"total_likes = {_latest_total('likes')} WHERE {condition}",
        params,
    )


async def delete_scope(conn: BaseDBAsyncClient, organization_id: int, scope: Scope) -> None:
    """Delete every row and the first-known dates of one scope."""
    for table in ("metric_day", "metric_scope"):
        await sql.execute(
            conn,
            f"DELETE FROM {table} WHERE organization_id = ? AND scope_kind = ? AND scope_id = ?",
            [organization_id, int(scope.kind), scope.id],
        )
