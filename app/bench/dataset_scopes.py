"""The benchmark dataset's account and organization scopes, built in SQL like the store."""

from __future__ import annotations

import asyncpg

from app.metrics.attribution import COLUMNS, CUMULATIVE, KNOWN_FROM

_INCREMENTS = "bench_increments"


async def aggregate_scopes(connection: asyncpg.Connection, organization_id: int) -> int:
    """Account and organization rows and first-known dates from the entity rows; rows made.

    Entity rows are sparse and cumulative: an aggregate's value on a date is the sum of each
    member's latest row at or before it. Summed as increments (each row minus the member's
    previous one) per date, then accumulated per scope: one row on every date where a member
    has a row, whose observations are that date's own.
    """
    await connection.execute("SET work_mem = '256MB'")
    increments = ", ".join(f"m.{c} - COALESCE(LAG(m.{c}) OVER s, 0) AS {c}" for c in CUMULATIVE)
    await connection.execute(f"DROP TABLE IF EXISTS {_INCREMENTS}")
    # A utility statement takes no parameters: the id is an integer from the database.
    await connection.execute(
        f"CREATE TEMP TABLE {_INCREMENTS} AS SELECT "
        "CASE WHEN m.scope_kind = 4 THEN m.scope_id ELSE v.account_id END AS account_id, "
        f"m.day, m.observations, {increments} FROM metric_day m "
        "LEFT JOIN video v ON m.scope_kind = 1 AND v.organization_id = m.organization_id "
        "AND v.id = m.scope_id "
        f"WHERE m.organization_id = {int(organization_id)} AND m.scope_kind IN (1, 4) "
        "WINDOW s AS (PARTITION BY m.scope_kind, m.scope_id ORDER BY m.day)"
    )
    columns = ", ".join(COLUMNS)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in COLUMNS)
    running = ", ".join(f"SUM(g.{c}) OVER w" for c in CUMULATIVE)
    inserted = 0
    for kind, scope_id, group, where in (
        (2, "g.account_id", "account_id, day", "WHERE account_id IS NOT NULL"),
        (3, "$1", "day", ""),
    ):
        partition = "PARTITION BY g.account_id " if kind == 2 else ""
        result = await connection.execute(
            f"INSERT INTO metric_day (organization_id, scope_kind, scope_id, day, {columns}) "
            f"SELECT $1, {kind}, {scope_id}, g.day, g.observations, {running} FROM "
            f"(SELECT {group}, {sums} FROM {_INCREMENTS} {where} GROUP BY {group}) g "
            f"WINDOW w AS ({partition}ORDER BY g.day)",
            organization_id,
        )
        inserted += int(result.split()[-1])
    await connection.execute(f"DROP TABLE {_INCREMENTS}")
    await _aggregate_known(connection, organization_id)
    return inserted


async def _aggregate_known(connection: asyncpg.Connection, organization_id: int) -> None:
    """Each aggregate's first-known dates: the earliest of its members'."""
    minimums = ", ".join(f"MIN(s.{n}_from)" for n in KNOWN_FROM)
    from_columns = ", ".join(f"{n}_from" for n in KNOWN_FROM)
    await connection.execute(
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, {from_columns}) "
        f"SELECT $1, 2, a.id, {minimums} FROM account a JOIN metric_scope s ON "
        "(s.organization_id = $1 AND s.scope_kind = 4 AND s.scope_id = a.id) "
        "WHERE a.organization_id = $1 GROUP BY a.id",
        organization_id,
    )
    least = ", ".join(
        f"{n}_from = LEAST(metric_scope.{n}_from, excluded.{n}_from)" for n in KNOWN_FROM
    )
    await connection.execute(
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, {from_columns}) "
        f"SELECT $1, 2, v.account_id, {minimums} FROM video v JOIN metric_scope s ON "
        "(s.organization_id = $1 AND s.scope_kind = 1 AND s.scope_id = v.id) "
        "WHERE v.organization_id = $1 GROUP BY v.account_id "
        f"ON CONFLICT (organization_id, scope_kind, scope_id) DO UPDATE SET {least}",
        organization_id,
    )
    await connection.execute(
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, {from_columns}) "
        f"SELECT $1, 3, $1, {minimums} FROM metric_scope s "
        "WHERE s.organization_id = $1 AND s.scope_kind = 2",
        organization_id,
    )


async def denormalise(connection: asyncpg.Connection, organization_id: int) -> None:
    """Latest values on the account and video rows, as the store keeps them."""
    await connection.execute(
        "UPDATE video v SET views = s.views, plays = s.plays, likes = s.likes, "
        "comments = s.comments, shares = s.shares, saves = s.saves, "
        "last_scrape_at = s.observed_at, first_scrape_at = v.published_at "
        "FROM (SELECT DISTINCT ON (video_id) * FROM video_snapshot WHERE organization_id = $1 "
        "ORDER BY video_id, day DESC) s "
        "WHERE s.video_id = v.id AND v.organization_id = $1",
        organization_id,
    )
    await connection.execute(
        "UPDATE account a SET followers = s.followers, following = s.following, "
        "posts_count = s.posts, last_scrape_at = s.observed_at "
        "FROM (SELECT DISTINCT ON (account_id) * FROM account_snapshot WHERE organization_id = $1 "
        "ORDER BY account_id, day DESC) s WHERE s.account_id = a.id AND a.organization_id = $1",
        organization_id,
    )
    await connection.execute(
        "UPDATE account a SET total_views = t.views, total_likes = t.likes FROM "
        "(SELECT account_id, SUM(views) AS views, SUM(likes) AS likes FROM video "
        "WHERE organization_id = $1 GROUP BY account_id) t "
        "WHERE t.account_id = a.id",
        organization_id,
    )
