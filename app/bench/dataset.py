"""Bulk-generates a realistic, deterministic dataset straight into PostgreSQL.

Entity histories (420 days, with gaps: missed days, entities observed every few days, entities
no longer observed) are derived with the same attribution code the store uses and written with
COPY. The account and organization scopes are then built in SQL as the store builds them: a row
on every date where a member has one, holding the sum of each member's latest row at or before
that date (rows carry forward), and that date's observations.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from app.bench.dataset_scopes import aggregate_scopes, denormalise
from app.metrics.attribution import (
    COLUMNS,
    KNOWN_FROM,
    ProfileObservation,
    VideoObservation,
    derive_profile,
    derive_video,
)
from app.models import ScopeKind

HISTORY_DAYS = 420
# Of the entities: observed every few days; no longer observed (stopped some time ago).
_SPARSE_SHARE = 0.2
_STOPPED_SHARE = 0.1
# Of the accounts: first observed recently (their followers are unknown before).
_LATE_PROFILE_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class DatasetShape:
    """How much to generate at scale 1 (multiplied by `scale`)."""

    scale: int = 1
    accounts_per_creator: int = 10
    creators: int = 100
    videos_per_account: int = 20

    @property
    def accounts(self) -> int:
        """Accounts to generate."""
        return self.creators * self.scale * self.accounts_per_creator


@dataclass(frozen=True, slots=True)
class DatasetReport:
    """What was generated and how long it took."""

    organization_id: int
    accounts: int
    videos: int
    snapshots: int
    metric_rows: int
    seconds: float


def observed_days(rng: random.Random, start: date, today: date) -> list[date]:
    """The days an entity is observed from `start`: daily with random misses, every few days,
    or daily with misses until it stopped being observed."""
    pattern = rng.random()
    step, last, miss = 1, today, rng.uniform(0.02, 0.2)
    if pattern < _SPARSE_SHARE:
        step, miss = rng.choice((2, 3, 7)), 0.0
    elif pattern < _SPARSE_SHARE + _STOPPED_SHARE:
        last = today - timedelta(days=rng.randrange(5, 120))
    days = []
    day = start
    while day <= last:
        if rng.random() >= miss:
            days.append(day)
        day += timedelta(days=step)
    return days


def _video_history(
    rng: random.Random, platform: str, published: date, today: date
) -> list[VideoObservation]:
    rate = rng.lognormvariate(6.0, 1.2)
    like_ratio = rng.uniform(0.02, 0.12)
    hidden_likes_until = published + timedelta(days=rng.choice([0, 0, 0, 3]))
    first = published + timedelta(days=rng.choice([0, 0, 0, 1, 2]))
    observations = []
    for day in observed_days(rng, first, today):
        views = int(rate * ((day - published).days + 1) ** 0.6)
        likes = int(views * like_ratio) if day >= hidden_likes_until else None
        comments = int(views * like_ratio / 12)
        shares = int(views * like_ratio / 25)
        saves = int(views * like_ratio / 8) if platform == "INSTAGRAM" else None
        plays = views if platform == "TIKTOK" else None
        observations.append(VideoObservation(day, views, plays, likes, comments, shares, saves))
    return observations


def _profile_history(rng: random.Random, first_day: date, today: date) -> list[ProfileObservation]:
    start = first_day
    if rng.random() < _LATE_PROFILE_SHARE:
        start = today - timedelta(days=rng.randrange(200))
    followers = float(rng.randint(1_000, 2_000_000))
    growth = rng.uniform(-0.001, 0.01)
    observations = []
    last = start
    for day in observed_days(rng, start, today):
        followers *= (1 + growth + rng.uniform(-0.002, 0.002)) ** (day - last).days
        last = day
        observations.append(ProfileObservation(day, int(followers)))
    return observations


async def generate(
    connection: asyncpg.Connection, shape: DatasetShape, seed: int = 7, name: str | None = None
) -> DatasetReport:
    """Create one organization (`name`, else "Benchmark x<scale>") holding the whole dataset;
    return what was made."""
    started = time.perf_counter()
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    now = datetime.now(UTC)
    organization_id = await connection.fetchval(
        "INSERT INTO organization (name, max_recent_posts, lookback_days, persisted_queries_only,"
        " created_at) VALUES ($1, 50, 90, false, $2) RETURNING id",
        name or f"Benchmark x{shape.scale}",
        now,
    )
    account_rows = []
    for index in range(shape.accounts):
        platform = "TIKTOK" if index % 2 else "INSTAGRAM"
        account_rows.append(
            (
                organization_id,
                platform,
                f"bench{index:06d}",
                24,
                "ACTIVE",
                now + timedelta(microseconds=index),
            )
        )
    await connection.copy_records_to_table(
        "account",
        records=account_rows,
        columns=[
            "organization_id",
            "platform",
            "handle",
            "scrape_interval_hours",
            "availability",
            "added_at",
        ],
    )
    accounts = await connection.fetch(
        "SELECT id, platform FROM account WHERE organization_id = $1 ORDER BY id", organization_id
    )
    creator_rows = [
        (organization_id, f"Creator {i:04d}", now, now) for i in range(shape.creators * shape.scale)
    ]
    await connection.copy_records_to_table(
        "creator",
        records=creator_rows,
        columns=["organization_id", "name", "added_at", "updated_at"],
    )
    creators = await connection.fetch(
        "SELECT id FROM creator WHERE organization_id = $1 ORDER BY id", organization_id
    )
    await connection.copy_records_to_table(
        "creator_account",
        records=[
            (creators[i // shape.accounts_per_creator]["id"], a["id"], now)
            for i, a in enumerate(accounts)
        ],
        columns=["creator_id", "account_id", "added_at"],
    )
    video_rows = []
    for account in accounts:
        for number in range(shape.videos_per_account):
            published = datetime.combine(
                today - timedelta(days=rng.randrange(HISTORY_DAYS)), datetime.min.time(), UTC
            ) + timedelta(minutes=rng.randrange(1440))
            video_rows.append(
                (
                    organization_id,
                    account["platform"],
                    str(account["id"] * 1000 + number),
                    account["id"],
                    False,
                    24,
                    "ACTIVE",
                    now,
                    now,
                    published,
                )
            )
    await connection.copy_records_to_table(
        "video",
        records=video_rows,
        columns=[
            "organization_id",
            "platform",
            "platform_video_id",
            "account_id",
            "is_individual",
            "scrape_interval_hours",
            "availability",
            "added_at",
            "discovered_at",
            "published_at",
        ],
    )
    videos = await connection.fetch(
        "SELECT id, platform, published_at FROM video WHERE organization_id = $1 ORDER BY id",
        organization_id,
    )
    snapshots = 0
    metric_rows = 0
    scope_rows: list[tuple[object, ...]] = []
    batch_snapshots: list[tuple[object, ...]] = []
    batch_rows: list[tuple[object, ...]] = []

    async def flush(force: bool = False) -> None:
        nonlocal batch_snapshots, batch_rows
        if batch_snapshots and (force or len(batch_snapshots) > 200_000):
            await connection.copy_records_to_table(
                "video_snapshot",
                records=batch_snapshots,
                columns=[
                    "organization_id",
                    "video_id",
                    "day",
                    "observed_at",
                    "views",
                    "plays",
                    "likes",
                    "comments",
                    "shares",
                    "saves",
                ],
            )
            batch_snapshots = []
        if batch_rows and (force or len(batch_rows) > 200_000):
            await connection.copy_records_to_table(
                "metric_day",
                records=batch_rows,
                columns=["organization_id", "scope_kind", "scope_id", "day", *COLUMNS],
            )
            batch_rows = []

    for video in videos:
        published = video["published_at"].date()
        history = _video_history(rng, video["platform"], published, today)
        rows, known = derive_video(history, published)
        for o in history:
            observed = datetime.combine(o.day, datetime.min.time(), UTC) + timedelta(hours=20)
            batch_snapshots.append(
                (
                    organization_id,
                    video["id"],
                    o.day,
                    observed,
                    o.views,
                    o.plays,
                    o.likes,
                    o.comments,
                    o.shares,
                    o.saves,
                )
            )
        for day, row in rows.items():
            batch_rows.append((organization_id, int(ScopeKind.VIDEO), video["id"], day, *row))
        scope_rows.append(
            (organization_id, int(ScopeKind.VIDEO), video["id"], *(known[n] for n in KNOWN_FROM))
        )
        snapshots += len(history)
        metric_rows += len(rows)
        await flush()
    profile_snapshots = []
    for account in accounts:
        profile = _profile_history(rng, first_day, today)
        rows, known = derive_profile(profile)
        for p in profile:
            observed = datetime.combine(p.day, datetime.min.time(), UTC) + timedelta(hours=6)
            profile_snapshots.append(
                (organization_id, account["id"], p.day, observed, p.followers, 100, 50)
            )
        for day, row in rows.items():
            batch_rows.append((organization_id, int(ScopeKind.PROFILE), account["id"], day, *row))
        scope_rows.append(
            (
                organization_id,
                int(ScopeKind.PROFILE),
                account["id"],
                *(known[n] for n in KNOWN_FROM),
            )
        )
        snapshots += len(profile)
        metric_rows += len(rows)
    await flush(force=True)
    await connection.copy_records_to_table(
        "account_snapshot",
        records=profile_snapshots,
        columns=[
            "organization_id",
            "account_id",
            "day",
            "observed_at",
            "followers",
            "following",
            "posts",
        ],
    )
    from_columns = [f"{n}_from" for n in KNOWN_FROM]
    await connection.copy_records_to_table(
        "metric_scope",
        records=scope_rows,
        columns=["organization_id", "scope_kind", "scope_id", *from_columns],
    )
    metric_rows += await aggregate_scopes(connection, organization_id)
    await denormalise(connection, organization_id)
    await connection.execute("ANALYZE")
    return DatasetReport(
        organization_id,
        len(accounts),
        len(videos),
        snapshots,
        metric_rows,
        time.perf_counter() - started,
    )
