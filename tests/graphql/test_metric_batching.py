"""Metric fields are batched: a page's statement count does not grow with its size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import models
from app.identifiers import Platform
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org, count_statements

PAGE = """
query Dashboard($first: Int!) {
  accounts(first: $first, orderBy: {field: ADDED_AT, direction: ASC}) {
    nodes {
      handle
      metrics(window: {preset: D30}) { followers followersChange views engagementRate coverage }
      comparison(window: {preset: D30}) { views { current previous changePercent } }
      series(window: {preset: D30}) { dates followers views observed }
    }
  }
}
"""

# Independent chains (videos after their page, creators after their members) may share a
# batch or not depending on timing, so this one is bounded rather than exact.
EVERYTHING = """
query Everything($first: Int!) {
  accounts(first: $first, orderBy: {field: ADDED_AT, direction: ASC}) {
    nodes {
      metrics(window: {preset: D30}) { views }
      series(window: {preset: D30}) { views }
      comparison(window: {preset: D30}) { views { change } }
      videos(first: 2) { nodes { metrics(window: {preset: D7}) { views } } }
    }
  }
  organization { metrics(window: {preset: D30}) { views followers } }
  creators(first: 5) { nodes { metrics(window: {preset: D30}) { views followers } } }
}
"""


def day(offset: int) -> datetime:
    return datetime.combine(today_utc(), datetime.min.time(), UTC) + timedelta(days=offset, hours=9)


async def _seed(org: Org, count: int) -> None:
    await models.Account.bulk_create(
        [
            models.Account(
                organization_id=org.id,
                platform=Platform.TIKTOK,
                handle=f"m{i:03d}",
                added_at=day(-60) + timedelta(seconds=i),
            )
            for i in range(count)
        ]
    )
    accounts = await models.Account.filter(organization_id=org.id).order_by("id")
    # The creator holds accounts outside every page, so no page size gets its rows for free.
    creator = await models.Creator.create(organization_id=org.id, name="late ones")
    await models.CreatorAccount.bulk_create(
        [models.CreatorAccount(creator_id=creator.id, account_id=a.id) for a in accounts[200:]]
    )
    for index, account in enumerate(accounts):
        await store.record_profile(
            account.id,
            [
                store.ProfileCounters(day(-20), followers=100 + index),
                store.ProfileCounters(day(-2), followers=150 + index),
            ],
        )
        video = await models.Video.create(
            organization_id=org.id,
            platform=Platform.TIKTOK,
            platform_video_id=str(index + 1),
            account_id=account.id,
            published_at=day(-10),
        )
        await store.record_video(
            video.id,
            [
                store.VideoCounters(day(-9), views=1000, likes=10),
                store.VideoCounters(day(-1), views=1500 + index, likes=20),
            ],
        )


async def test_dashboard_statement_count_is_the_same_for_10_50_and_200_accounts(
    org: Org,
) -> None:
    await _seed(org, 210)
    counts = {}
    for first in (10, 50, 200):
        with count_statements() as statements:
            result = await org.gql(PAGE, {"first": first})
        nodes = result.data["accounts"]["nodes"]
        assert len(nodes) == first
        assert nodes[0]["metrics"]["followers"] == 150
        assert nodes[0]["metrics"]["followersChange"] == 50
        assert nodes[0]["metrics"]["views"] == 1500  # published inside D30: everything counts
        assert nodes[-1]["metrics"]["views"] == 1500 + first - 1
        assert nodes[0]["series"]["followers"][-1] == 150
        assert len(nodes[0]["series"]["dates"]) == 30
        counts[first] = len(statements)
    assert counts[10] == counts[50] == counts[200], counts
    assert counts[200] <= 8, counts

    bounded = {}
    for first in (10, 200):
        with count_statements() as statements:
            result = await org.gql(EVERYTHING, {"first": first})
        nodes = result.data["accounts"]["nodes"]
        assert nodes[0]["videos"]["nodes"][0]["metrics"]["views"] == 500
        organization = result.data["organization"]["metrics"]
        assert organization["views"] == sum(1500 + i for i in range(210))
        creator = result.data["creators"]["nodes"][0]["metrics"]
        assert creator["followers"] == sum(150 + i for i in range(200, 210))
        bounded[first] = len(statements)
    assert max(bounded.values()) <= 24, bounded
