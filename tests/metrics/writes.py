"""Helpers for the write-path tests: histories to record, statement counting, stored state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections
from tortoise.backends.asyncpg import client as asyncpg_client
from tortoise.backends.sqlite import client as sqlite_client

from app import models
from app.bench.statements import count_statements
from app.identifiers import Platform
from app.metrics import store

DAY0 = date(2026, 1, 5)


def moment(day: date, hour: int = 0) -> datetime:
    """`hour` o'clock UTC on `day`."""
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)


def video_counters(day: date, seed: int, hour: int = 0) -> store.VideoCounters:
    """A plausible, growing observation of a video on `day` (some counters unknown)."""
    n = (day - DAY0).days + 1
    return store.VideoCounters(
        moment(day, hour),
        views=100 * n + seed,
        plays=None if seed % 3 == 0 else 120 * n,
        likes=10 * n,
        comments=n + seed % 5,
        shares=None if (seed + n) % 4 == 0 else n // 2,
        saves=n // 3,
    )


def profile_counters(day: date, seed: int, hour: int = 0) -> store.ProfileCounters:
    """A plausible observation of a profile on `day`."""
    n = (day - DAY0).days
    return store.ProfileCounters(
        moment(day, hour), followers=1000 + 7 * n + seed, following=50, posts=n
    )


async def make_videos(
    organization_id: int, account_id: int | None, count: int, prefix: str
) -> list[int]:
    """`count` videos of the organization (in the account's feed when given), their ids."""
    ids = []
    for i in range(count):
        video = await models.Video.create(
            organization_id=organization_id,
            platform=Platform.TIKTOK,
            platform_video_id=f"{prefix}{i}",
            account_id=account_id,
            published_at=moment(DAY0 - timedelta(days=i % 3), 12),
        )
        ids.append(video.id)
    return ids


async def make_account(organization_id: int, handle: str) -> int:
    """An account of the organization, its id."""
    account = await models.Account.create(
        organization_id=organization_id, platform=Platform.TIKTOK, handle=handle
    )
    return account.id


@contextmanager
def set_based(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count the statements sent; fail on `executemany`, which runs one statement per row."""

    def refused(self: Any, query: str, values: Any) -> None:
        raise AssertionError(f"executemany runs once per row: {query[:80]}")

    for module in (asyncpg_client, sqlite_client):
        for name in dir(module):
            cls = getattr(module, name)
            if isinstance(cls, type) and "execute_many" in vars(cls):
                monkeypatch.setattr(cls, "execute_many", refused)
    with count_statements() as statements:
        yield statements


async def stored_state(organization_id: int) -> dict[str, Any]:
    """Everything the store keeps for an organization, with ids replaced by stable names."""
    conn = connections.get("default")
    videos = {
        v.id: v.platform_video_id
        for v in await models.Video.filter(organization_id=organization_id)
    }
    accounts = {
        a.id: a.handle for a in await models.Account.filter(organization_id=organization_id)
    }
    names = {1: videos, 2: accounts, 4: accounts, 3: {organization_id: "org"}}
    days = await conn.execute_query_dict(
        "SELECT scope_kind, scope_id, day, observations, views, plays, likes, comments, shares, "
        "saves, followers, followers_gain, published FROM metric_day WHERE organization_id = "
        f"{int(organization_id)}"
    )
    known = await conn.execute_query_dict(
        "SELECT scope_kind, scope_id, views_from, plays_from, likes_from, comments_from, "
        f"shares_from, saves_from, followers_from FROM metric_scope WHERE organization_id = "
        f"{int(organization_id)}"
    )

    def named(row: dict[str, Any]) -> tuple[Any, ...]:
        kind = int(row["scope_kind"])
        rest = tuple(
            str(v) if v is not None else None
            for k, v in row.items()
            if k not in ("scope_kind", "scope_id")
        )
        return (kind, names[kind][int(row["scope_id"])], *rest)

    video_rows = await models.Video.filter(organization_id=organization_id).values(
        "platform_video_id", "views", "plays", "likes", "comments", "shares", "saves"
    )
    account_rows = await models.Account.filter(organization_id=organization_id).values(
        "handle", "followers", "following", "posts_count", "total_views", "total_likes"
    )
    snapshots = await models.VideoSnapshot.filter(video__organization_id=organization_id).values(
        "video__platform_video_id", "day", "views", "plays", "likes", "comments", "shares", "saves"
    )
    profile_snapshots = await models.AccountSnapshot.filter(
        account__organization_id=organization_id
    ).values("account__handle", "day", "followers", "following", "posts")
    return {
        "metric_day": sorted(map(named, days)),
        "metric_scope": sorted(map(named, known)),
        "videos": sorted(tuple(r.values()) for r in video_rows),
        "accounts": sorted(tuple(r.values()) for r in account_rows),
        "video_snapshots": sorted(tuple(map(str, r.values())) for r in snapshots),
        "profile_snapshots": sorted(tuple(map(str, r.values())) for r in profile_snapshots),
    }
