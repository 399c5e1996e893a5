"""The benchmark dataset's aggregate scopes are exactly what the store derives from its history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from app import models
from app.bench.dataset import HISTORY_DAYS, DatasetShape, generate
from app.metrics import store
from app.metrics.attribution import COLUMNS, KNOWN_FROM
from app.metrics.windows import today_utc
from tests.conftest import ENGINE, Org

pytestmark = pytest.mark.skipif(
    ENGINE != "postgres", reason="the benchmark dataset is PostgreSQL-only (postgres session)"
)

TINY = DatasetShape(creators=1, accounts_per_creator=4, videos_per_account=6)
_ROWS = f"SELECT day, {', '.join(COLUMNS)} FROM metric_day WHERE scope_kind = $1 AND scope_id = $2"
_KNOWN = (
    f"SELECT {', '.join(f'{n}_from' for n in KNOWN_FROM)} FROM metric_scope "
    "WHERE scope_kind = $1 AND scope_id = $2"
)


async def _replay(connection: asyncpg.Connection, source: int, target: int) -> dict[int, int]:
    """Record the generated snapshots through the store into `target`; {source: target account}."""
    accounts: dict[int, int] = {}
    for account in await connection.fetch(
        "SELECT * FROM account WHERE organization_id = $1 ORDER BY id", source
    ):
        copy = await models.Account.create(
            organization_id=target,
            platform=account["platform"],
            handle=account["handle"],
            added_at=account["added_at"],
        )
        accounts[account["id"]] = copy.id
        snapshots = await connection.fetch(
            "SELECT * FROM account_snapshot WHERE account_id = $1 ORDER BY day", account["id"]
        )
        await store.record_profile(
            copy.id,
            [
                store.ProfileCounters(s["observed_at"], s["followers"], s["following"], s["posts"])
                for s in snapshots
            ],
        )
    for video in await connection.fetch(
        "SELECT * FROM video WHERE organization_id = $1 ORDER BY id", source
    ):
        copy_video = await models.Video.create(
            organization_id=target,
            platform=video["platform"],
            platform_video_id=video["platform_video_id"],
            account_id=accounts[video["account_id"]],
            discovered_at=video["discovered_at"],
            published_at=video["published_at"],
        )
        snapshots = await connection.fetch(
            "SELECT * FROM video_snapshot WHERE video_id = $1 ORDER BY day", video["id"]
        )
        names = ("views", "plays", "likes", "comments", "shares", "saves")
        await store.record_video(
            copy_video.id,
            [store.VideoCounters(s["observed_at"], *(s[n] for n in names)) for s in snapshots],
        )
    return accounts


async def _scope(connection: asyncpg.Connection, kind: int, scope_id: int) -> dict[str, Any]:
    rows = {r["day"]: tuple(r)[1:] for r in await connection.fetch(_ROWS, kind, scope_id)}
    known = await connection.fetchrow(_KNOWN, kind, scope_id)
    return {"rows": rows, "known": tuple(known) if known else None}


async def test_account_and_organization_rows_equal_the_stores(database_url: str, org: Org) -> None:
    # given: a tiny dataset, and its snapshots recorded again through the store
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        report = await generate(connection, TINY, seed=11)
        accounts = await _replay(connection, report.organization_id, org.id)

        # when: both organizations' aggregate scopes are read
        generated = {a: await _scope(connection, 2, a) for a in accounts}
        stored = {a: await _scope(connection, 2, b) for a, b in accounts.items()}
        generated_org = await _scope(connection, 3, report.organization_id)
        stored_org = await _scope(connection, 3, org.id)
        daily = await connection.fetch(
            "SELECT scope_id, count(*) AS rows, max(day) - min(day) + 1 AS span FROM metric_day "
            "WHERE organization_id = $1 AND scope_kind = 4 GROUP BY scope_id",
            report.organization_id,
        )
    finally:
        await connection.close()

    # then: the same rows and first-known dates, over more than 400 days, with gaps
    for account in accounts:
        assert generated[account] == stored[account], account
    assert generated_org == stored_org
    assert min(generated_org["rows"]) <= today_utc() - timedelta(days=400)
    assert HISTORY_DAYS >= 400
    assert any(r["rows"] < r["span"] for r in daily)  # profiles with days not observed
