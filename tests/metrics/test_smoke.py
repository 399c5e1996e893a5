"""End to end: observations recorded through the store come back through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import models
from app.identifiers import Platform
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org

QUERY = """
query($range: DateRangeInput!) {
  accounts { nodes {
    metrics(window: {range: $range}) {
      window { start end days } followers followersChange videosPublished views plays likes
      comments shares saves engagementRate coverage
    }
    series(window: {range: $range}) { dates observed followers followersChange views likes }
    comparison(window: {range: $range}) {
      followers { current previous change } views { current previous change changePercent }
    }
  } }
  organization { metrics(window: {range: $range}) { views followers videosPublished coverage } }
}
"""


def at(day_offset: int) -> datetime:
    base = datetime.combine(today_utc(), datetime.min.time(), UTC)
    return base + timedelta(days=day_offset, hours=12)


async def test_account_with_one_video(org: Org) -> None:
    account = await models.Account.create(
        organization_id=org.id, platform=Platform.TIKTOK, handle="smoke"
    )
    video = await models.Video.create(
        organization_id=org.id,
        platform=Platform.TIKTOK,
        platform_video_id="1",
        account_id=account.id,
        published_at=at(-5),
    )
    await store.record_profile(
        account.id,
        [
            store.ProfileCounters(at(-4), followers=100),
            store.ProfileCounters(at(-1), followers=130),
        ],
    )
    await store.record_video(
        video.id,
        [
            store.VideoCounters(at(-3), views=1000, likes=100, comments=10, shares=5),
            store.VideoCounters(at(-1), views=1500, likes=120, comments=10, shares=5),
        ],
    )
    start, end = today_utc() - timedelta(days=4), today_utc()
    result = await org.gql(QUERY, {"range": {"start": start.isoformat(), "end": end.isoformat()}})
    node = result.data["accounts"]["nodes"][0]
    metrics = node["metrics"]
    assert metrics["window"] == {"start": start.isoformat(), "end": end.isoformat(), "days": 5}
    assert metrics["followers"] == 130
    assert metrics["followersChange"] == 30
    assert metrics["videosPublished"] == 0  # published at day −5, before the window
    assert metrics["views"] == 500  # 1000 went to the publish date, outside the window
    assert metrics["plays"] == 500
    assert metrics["likes"] == 20
    assert metrics["saves"] is None
    assert metrics["coverage"] == 3 / 5
    series = node["series"]
    assert series["views"] == [0, 0, 0, 500, 0]
    assert series["followers"] == [100, 100, 100, 130, 130]
    assert series["followersChange"] == [0, 0, 0, 30, 0]
    assert series["observed"] == [True, True, False, True, False]
    organization = result.data["organization"]["metrics"]
    assert organization["views"] == 500
    assert organization["followers"] == 130
