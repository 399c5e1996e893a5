"""Migrations keep the unique constraints the metric store's upserts rely on.

Tortoise rebuilds SQLite tables on AlterField and has dropped unique constraints doing so;
this catches it on both engines. A database holding snapshots at 0004 migrates to the current
schema with each snapshot carrying its owner's organization.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from tortoise.exceptions import IntegrityError

from app import models
from app.db_admin import scratch_database
from app.identifiers import Platform
from app.models import ScopeKind
from tests.conftest import ENGINE, PG_ADMIN_URL, Org

_CHILD = Path(__file__).with_name("migrate_0005.py")


async def test_metric_day_is_unique_per_scope_and_day(org: Org) -> None:
    row: dict[str, Any] = {
        "organization_id": org.id,
        "scope_kind": ScopeKind.VIDEO,
        "scope_id": 2_000_000_001,
        "day": date(2024, 1, 1),
    }
    await models.MetricDay.create(**row)
    with pytest.raises(IntegrityError):
        await models.MetricDay.create(**row)
    await models.MetricDay.filter(organization_id=org.id).delete()


async def test_metric_scope_is_unique_per_scope(org: Org) -> None:
    row: dict[str, Any] = {
        "organization_id": org.id,
        "scope_kind": ScopeKind.VIDEO,
        "scope_id": 2_000_000_002,
    }
    await models.MetricScope.create(**row)
    with pytest.raises(IntegrityError):
        await models.MetricScope.create(**row)
    await models.MetricScope.filter(organization_id=org.id).delete()


async def test_snapshots_are_unique_per_entity_and_day(org: Org) -> None:
    account = await models.Account.create(
        organization_id=org.id, platform=Platform.TIKTOK, handle="u"
    )
    now = datetime.now(UTC)
    profile: dict[str, Any] = {"organization_id": org.id, "account_id": account.id}
    await models.AccountSnapshot.create(**profile, day=now.date(), observed_at=now)
    with pytest.raises(IntegrityError):
        await models.AccountSnapshot.create(**profile, day=now.date(), observed_at=now)
    video = await models.Video.create(
        organization_id=org.id, platform=Platform.TIKTOK, platform_video_id="9"
    )
    post: dict[str, Any] = {"organization_id": org.id, "video_id": video.id}
    await models.VideoSnapshot.create(**post, day=now.date(), observed_at=now)
    with pytest.raises(IntegrityError):
        await models.VideoSnapshot.create(**post, day=now.date(), observed_at=now)


async def _migrate_in_child(url: str) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(_CHILD),
        url,
        cwd=Path(__file__).parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode == 0, err.decode()
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


async def test_snapshots_at_0004_get_their_owners_organization(tmp_path: Path) -> None:
    if ENGINE == "sqlite":
        result = await _migrate_in_child(f"sqlite://{tmp_path / 'at-0004.sqlite3'}")
    else:
        async with scratch_database(PG_ADMIN_URL, "creatoraudit_migration") as url:
            result = await _migrate_in_child(url)
    owners, rows = result["owners"], result["rows"]
    assert len(set(owners.values())) == 2
    for table, kind in (("video_snapshot", "video"), ("account_snapshot", "account")):
        assert len(rows[table]) == 4  # two owners, two days each: nothing lost
        for owner_id, organization_id, _day in rows[table]:
            assert organization_id == owners[f"{kind}:{owner_id}"]
