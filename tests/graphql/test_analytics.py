"""Batch metric reads, search and the creator leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import models
from app.graphql.ids import encode_id
from app.identifiers import Platform
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org


def day(offset: int) -> datetime:
    return datetime.combine(today_utc(), datetime.min.time(), UTC) + timedelta(days=offset, hours=8)


async def _account(
    org: Org, handle: str, platform: Platform = Platform.TIKTOK, **extra: Any
) -> models.Account:
    return await models.Account.create(
        organization_id=org.id, platform=platform, handle=handle, **extra
    )


async def _video(
    org: Org,
    vid: str,
    account: models.Account | None,
    views: list[tuple[int, int]],
    **extra: Any,
) -> models.Video:
    video = await models.Video.create(
        organization_id=org.id,
        platform=account.platform if account else Platform.TIKTOK,
        platform_video_id=vid,
        account_id=account.id if account else None,
        published_at=day(-40),
        **extra,
    )
    await store.record_video(
        video.id, [store.VideoCounters(day(offset), views=v, likes=v // 10) for offset, v in views]
    )
    return video


ACCOUNT_METRICS = """
query($ids: [ID!]!) {
  accountMetrics(ids: $ids, window: {preset: D7}) {
    items { account { handle } metrics { views window { days } } }
    notFound
  }
}
"""


async def test_account_metrics_lists_found_accounts_in_order_and_the_rest_in_not_found(
    make_org,
) -> None:
    org, other = await make_org(), await make_org()
    a = await _account(org, "alpha")
    b = await _account(org, "beta")
    foreign = await _account(other, "alpha")
    await _video(org, "1", a, [(-30, 100), (-3, 400)])
    await _video(org, "2", b, [(-30, 50), (-2, 60)])
    ids = [
        encode_id("Account", b.id),
        "garbage",
        encode_id("Account", foreign.id),
        encode_id("Account", a.id),
        encode_id("Creator", a.id),
        encode_id("Account", b.id),
    ]
    batch = (await org.gql(ACCOUNT_METRICS, {"ids": ids})).data["accountMetrics"]
    assert [(i["account"]["handle"], i["metrics"]["views"]) for i in batch["items"]] == [
        ("beta", 10),
        ("alpha", 300),
    ]
    assert batch["items"][0]["metrics"]["window"]["days"] == 7
    assert batch["notFound"] == [ids[1], ids[2], ids[4]]


@pytest.mark.parametrize("count", [0, 201])
async def test_batch_reads_refuse_0_or_more_than_200_ids(org: Org, count: int) -> None:
    result = await org.gql(ACCOUNT_METRICS, {"ids": ["x"] * count})
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "ids"


async def test_video_metrics_accept_both_roles_and_never_return_zeros_for_unknown_ids(
    org: Org,
) -> None:
    account = await _account(org, "gamma")
    feed = await _video(org, "10", account, [(-10, 100), (-1, 250)])
    lone = await _video(org, "11", None, [(-10, 5), (-1, 7)], is_individual=True)
    ids = [
        encode_id("AccountVideo", feed.id),
        encode_id("IndividualVideo", lone.id),
        encode_id("IndividualVideo", feed.id),  # not an individual video
        encode_id("AccountVideo", 2**31 - 1),
    ]
    result = await org.gql(
        "query($ids: [ID!]!) { videoMetrics(ids: $ids, window: {preset: D7}) {"
        " items { video { __typename videoId } metrics { views } } notFound } }",
        {"ids": ids},
    )
    batch = result.data["videoMetrics"]
    assert [(i["video"]["__typename"], i["metrics"]["views"]) for i in batch["items"]] == [
        ("AccountVideo", 150),
        ("IndividualVideo", 2),
    ]
    assert batch["notFound"] == ids[2:]


async def test_video_deltas_give_views_in_the_last_n_days(org: Org) -> None:
    account = await _account(org, "delta")
    video = await _video(org, "20", account, [(-40, 1000), (-20, 1500), (-5, 1700), (0, 1800)])
    result = await org.gql(
        "query($ids: [ID!]!) { videoDeltas(ids: $ids, days: [1, 7, 30, 365]) {"
        " items { video { videoId } deltas { days views window { start end days } } }"
        " notFound } }",
        {"ids": [encode_id("AccountVideo", video.id), "nope"]},
    )
    batch = result.data["videoDeltas"]
    windows = [d.pop("window") for d in batch["items"][0]["deltas"]]
    assert windows[1] == {
        "start": (today_utc() - timedelta(days=6)).isoformat(),
        "end": today_utc().isoformat(),
        "days": 7,
    }
    assert batch["items"][0]["deltas"] == [
        {"days": 1, "views": 100},
        {"days": 7, "views": 300},
        {"days": 30, "views": 800},
        {"days": 365, "views": 1800},
    ]
    assert batch["notFound"] == ["nope"]


@pytest.mark.parametrize("days", [[], [0], [366], list(range(1, 12))])
async def test_video_deltas_refuse_bad_lengths(org: Org, days: list[int]) -> None:
    result = await org.gql(
        'query($d: [Int!]!) { videoDeltas(ids: ["x"], days: $d) { notFound } }', {"d": days}
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "days"


SEARCH = """
query($q: String!, $limit: Int = 10, $platform: Platform) {
  search(query: $q, limit: $limit, platform: $platform) {
    accounts { handle } creators { name } videos { videoId }
  }
}
"""


async def test_search_ranks_exact_then_prefix_then_substring(org: Org) -> None:
    for handle in ("mybakery", "bakery", "bakery.daily", "thebakeryshop"):
        await _account(org, handle)
    await _account(org, "bakery_ig", Platform.INSTAGRAM)
    for name in ("The Bakery", "Bakery", "Bakery Bros"):
        await models.Creator.create(organization_id=org.id, name=name)
    await models.Video.create(
        organization_id=org.id,
        platform=Platform.TIKTOK,
        platform_video_id="777",
        is_individual=True,
        caption="Visiting a bakery",
    )
    result = (await org.gql(SEARCH, {"q": "Bakery"})).data["search"]
    assert [a["handle"] for a in result["accounts"]][:1] == ["bakery"]
    assert {a["handle"] for a in result["accounts"][1:3]} == {"bakery.daily", "bakery_ig"}
    assert {a["handle"] for a in result["accounts"][3:]} == {"mybakery", "thebakeryshop"}
    assert [c["name"] for c in result["creators"]] == ["Bakery", "Bakery Bros", "The Bakery"]
    assert result["videos"] == [{"videoId": "777"}]
    limited = (await org.gql(SEARCH, {"q": "bakery", "limit": 2, "platform": "TIKTOK"})).data
    assert [a["handle"] for a in limited["search"]["accounts"]] == ["bakery", "bakery.daily"]


@pytest.mark.parametrize(
    ("q", "limit", "field"), [("", 10, "query"), ("x", 0, "limit"), ("x", 26, "limit")]
)
async def test_search_refuses_bad_arguments(org: Org, q: str, limit: int, field: str) -> None:
    result = await org.gql(SEARCH, {"q": q, "limit": limit})
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == field


TOP = """
query($metric: LeaderboardMetric!, $platform: Platform, $minViews: BigInt) {
  topCreators(window: {preset: D7}, metric: $metric, platform: $platform, limit: 5,
              minViews: $minViews) {
    rank creator { name } value previousRank previousValue window { days }
  }
}
"""


async def test_top_creators_rank_by_summed_accounts_with_previous_rank_and_ties(org: Org) -> None:
    async def creator(
        name: str, handles: list[tuple[str, Platform]], views: list[list[tuple[int, int]]]
    ) -> None:
        made = await models.Creator.create(organization_id=org.id, name=name)
        for (handle, platform), history in zip(handles, views, strict=True):
            account = await _account(org, handle, platform)
            await models.CreatorAccount.create(creator_id=made.id, account_id=account.id)
            await _video(org, f"{handle}-v", account, history)

    # previous window = days −13..−7, current = −6..0
    await creator("Zed", [("zed", Platform.TIKTOK)], [[(-20, 0), (-10, 500), (-1, 600)]])
    await creator(
        "Amy",
        [("amy", Platform.TIKTOK), ("amy.ig", Platform.INSTAGRAM)],
        [[(-20, 0), (-10, 100), (-1, 150)], [(-20, 0), (-10, 10), (-2, 60)]],
    )
    await creator("Bob", [("bob", Platform.TIKTOK)], [[(-20, 0), (-10, 50), (-1, 150)]])
    await creator("Nobody", [("none", Platform.TIKTOK)], [[]])
    entries = (await org.gql(TOP, {"metric": "VIEWS"})).data["topCreators"]
    # Amy 50 + 50 = 100 ties with Bob 100: names break the tie. Zed 100 too.
    assert [(e["rank"], e["creator"]["name"], e["value"]) for e in entries] == [
        (1, "Amy", 100.0),
        (2, "Bob", 100.0),
        (3, "Zed", 100.0),
    ]
    assert [(e["previousRank"], e["previousValue"]) for e in entries] == [
        (2, 110.0),
        (3, 50.0),
        (1, 500.0),
    ]
    assert entries[0]["window"]["days"] == 7
    tiktok = (await org.gql(TOP, {"metric": "VIEWS", "platform": "TIKTOK"})).data["topCreators"]
    assert [(e["creator"]["name"], e["value"]) for e in tiktok] == [
        ("Bob", 100.0),
        ("Zed", 100.0),
        ("Amy", 50.0),
    ]
    rate = (await org.gql(TOP, {"metric": "ENGAGEMENT_RATE", "minViews": 101})).data
    assert rate["topCreators"] == []
