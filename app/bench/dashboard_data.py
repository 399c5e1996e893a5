"""The dashboard benchmark's database: one organization per scale, reused if asked, fresh keys."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.context import TortoiseContext

from app import db, models
from app.bench.dataset import DatasetShape, generate
from app.db_admin import recreate_database
from app.metrics.windows import today_utc
from app.models import Scope
from app.services.api_keys import create_api_key
from app.services.rate_limit.policy import MAX_POINTS
from app.settings import Settings

# A reused dataset must reach this far back (older datasets had 180 days of history).
_MIN_HISTORY_DAYS = 400


@dataclass(frozen=True, slots=True)
class Dataset:
    """One scale's organization, a READ key made for this run, what was generated."""

    scale: float
    organization_id: int
    key: str
    key_id: int
    summary: dict[str, Any]


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _name(scale: float) -> str:
    return f"Benchmark x{scale:g}"


def shape(scale: float) -> DatasetShape:
    """Scale 1: 100 creators × 10 accounts × 20 videos; fractions shrink it (tests, a glance)."""
    if scale >= 1 and scale == int(scale):
        return DatasetShape(scale=int(scale))
    return DatasetShape(creators=max(1, round(100 * scale)))


async def _existing(url: str, scales: list[float]) -> dict[float, dict[str, Any]] | None:
    """Each scale's organization and size, if an earlier run left all of them; else None."""
    try:
        connection = await asyncpg.connect(_dsn(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    found: dict[float, dict[str, Any]] = {}
    try:
        for scale in scales:
            row = await connection.fetchrow(
                "SELECT o.id, (SELECT min(day) FROM metric_day WHERE organization_id = o.id AND "
                "scope_kind = 3 AND scope_id = o.id) AS first, (SELECT count(*) FROM account WHERE "
                "organization_id = o.id) AS accounts FROM organization o WHERE o.name = $1 "
                "ORDER BY o.id DESC LIMIT 1",
                _name(scale),
            )
            oldest = today_utc() - timedelta(days=_MIN_HISTORY_DAYS)
            if row is None or row["first"] is None or row["first"] > oldest:
                return None
            found[scale] = {"organization_id": row["id"], "accounts": row["accounts"]}
    finally:
        await connection.close()
    return found


async def _generate(
    url: str, scales: list[float], progress: Callable[[str], None]
) -> dict[float, dict[str, Any]]:
    await recreate_database(url)
    await db.migrate(Settings(database_url=url))
    connection = await asyncpg.connect(_dsn(url))
    found: dict[float, dict[str, Any]] = {}
    try:
        # Rate-limit buckets in the shared Redis are named by key id: ids far from those of
        # other databases (tests, other benchmarks) keep the buckets apart.
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('api_key', 'id'), $1)",
            random.randrange(1_000_000_000, 2_000_000_000),
        )
        for scale in scales:
            report = await generate(connection, shape(scale), name=_name(scale))
            progress(
                f"  scale {scale}: {report.accounts:,} accounts, {report.videos:,} videos, "
                f"{report.snapshots:,} snapshots, {report.metric_rows:,} metric rows "
                f"in {report.seconds:.0f} s"
            )
            found[scale] = asdict(report)
    finally:
        await connection.close()
    return found


async def prepare(
    url: str, scales: list[float], reuse: bool, progress: Callable[[str], None]
) -> dict[float, Dataset]:
    """The datasets (generated unless `reuse` finds them), each with a new READ key."""
    found = await _existing(url, scales) if reuse else None
    if found is None:
        progress(f"Generating the dataset into {db.describe(Settings(database_url=url))} …")
        found = await _generate(url, scales, progress)
    else:
        progress("  reusing the dataset of an earlier run")
        await db.migrate(Settings(database_url=url))
    datasets = {}
    # A context of its own: Tortoise state set up elsewhere in this process is left alone.
    async with TortoiseContext():
        await Tortoise.init(config=db.tortoise_config(Settings(database_url=url)))
        for scale, summary in found.items():
            org_id = summary["organization_id"]
            # The load never reaches the ceiling: no request is refused for its cost.
            await models.Organization.filter(id=org_id).update(rate_limit_ceiling=MAX_POINTS)
            issued = await create_api_key(org_id, "benchmark", Scope.READ)
            datasets[scale] = Dataset(scale, org_id, issued.secret, issued.api_key.id, summary)
    return datasets
