"""The demo's simulated history: 90 daily observations through the real store."""

from __future__ import annotations

from datetime import UTC, datetime

from app import models
from app.demo.backfill import backfill_organization
from app.identifiers import Platform
from app.simulator.world import World
from tests.conftest import Org


async def test_backfill_records_ninety_days_that_metrics_can_chart(org: Org) -> None:
    now = datetime.now(UTC)
    world = World(seed=3, clock=lambda: now)
    account = await models.Account.create(
        organization_id=org.id, platform=Platform.TIKTOK, handle=f"backfill{org.id}"
    )
    await models.Account.create(
        organization_id=org.id, platform=Platform.INSTAGRAM, handle=f"private{org.id}"
    )
    posts = await backfill_organization(org.id, world)
    assert posts > 0
    assert await models.AccountSnapshot.filter(account_id=account.id).count() == 90
    result = await org.gql(
        "{ organization { metrics(window: {preset: D90}) { coverage followers videosPublished"
        " views } series(window: {preset: D30}) { observed views } } }"
    )
    organization = result.data["organization"]
    assert organization["metrics"]["coverage"] == 1.0
    assert organization["metrics"]["followers"] > 0
    assert organization["metrics"]["views"] > 0
    assert all(organization["series"]["observed"])
    assert await models.Video.filter(organization_id=org.id).count() == posts
    # A private profile gets nothing: the simulated platform would not show it.
    assert await models.AccountSnapshot.filter(account__organization_id=org.id).count() == 90
