"""Migrations keep the unique constraints the metric store's upserts rely on.

Tortoise rebuilds SQLite tables on AlterField and has dropped unique constraints doing so;
this catches it on both engines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

from app import models
from app.identifiers import Platform
from app.models import ScopeKind
from tests.conftest import Org


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
