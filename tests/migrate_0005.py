"""Run in a child process by tests/test_migrations.py: a database at 0004 with rows, migrated.

A child process, because migrating and initialising Tortoise on another database inside the
test session would replace the session's Tortoise context.
"""

from __future__ import annotations

import asyncio
import sys

import orjson
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from app import models
from app.db import tortoise_config
from app.identifiers import Platform
from app.settings import Settings

_SNAPSHOTS = [
    "INSERT INTO video_snapshot (video_id, day, observed_at, views) VALUES ({v}, '2026-01-0{d}', "
    "'2026-01-0{d} 12:00:00+00:00', {n})",
    "INSERT INTO account_snapshot (account_id, day, observed_at, followers) VALUES ({a}, "
    "'2026-01-0{d}', '2026-01-0{d} 12:00:00+00:00', {n})",
]


async def _seed(config: dict[str, object]) -> dict[str, int]:
    """Two organizations, each with an account and a video with two days of snapshots."""
    await Tortoise.init(config=config)
    owners: dict[str, int] = {}
    conn = connections.get("default")
    try:
        for name in ("first", "second"):
            organization = await models.Organization.create(name=name)
            account = await models.Account.create(
                organization_id=organization.id, platform=Platform.TIKTOK, handle=name
            )
            video = await models.Video.create(
                organization_id=organization.id, platform=Platform.TIKTOK, platform_video_id=name
            )
            owners[f"video:{video.id}"] = owners[f"account:{account.id}"] = organization.id
            for day in (1, 2):
                for statement in _SNAPSHOTS:
                    sql = statement.format(v=video.id, a=account.id, d=day, n=day * 10)
                    await conn.execute_query(sql)
    finally:
        await Tortoise.close_connections()
    return owners


async def _read(config: dict[str, object]) -> dict[str, list[list[object]]]:
    await Tortoise.init(config=config)
    try:
        conn = connections.get("default")
        found = {}
        for table, owner in (("video_snapshot", "video_id"), ("account_snapshot", "account_id")):
            _, rows = await conn.execute_query(
                f"SELECT {owner}, organization_id, day FROM {table} ORDER BY {owner}, day"
            )
            found[table] = [[int(r[owner]), int(r["organization_id"]), str(r["day"])] for r in rows]
        return found
    finally:
        await Tortoise.close_connections()


async def main(url: str) -> None:
    config = tortoise_config(Settings(database_url=url))
    await migrate(config=config, target="models.0004_organization_data_version")
    await Tortoise.close_connections()
    owners = await _seed(config)
    await migrate(config=config)
    await Tortoise.close_connections()
    result = {"owners": owners, "rows": await _read(config)}
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
