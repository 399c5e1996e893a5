"""Hand-made histories: the API's full windowed output against the oracle and hand-computed numbers.

Every test records a history through the real store (`app.metrics.store`), then asks GraphQL for
`metrics`, `series` and `comparison` of the organization, every account, every creator, every
account video and every individual video, and compares every field with `tests.metrics.oracle`
(`Scenario.check`). The simplest cases also pin literal numbers computed by hand (comments).

Day offsets are relative to the real UTC today: `-3` is three days ago.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta, timezone
from typing import Any

import pytest

from app import models
from app.metrics import store
from tests.conftest import Org
from tests.metrics.harness import FRAGMENTS, Scenario, differences, window_input
from tests.metrics.oracle import INSTAGRAM, TIKTOK

N = None  # short for the many nulls of the series below


async def test_video_published_inside_the_window(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("101", TIKTOK, account="tt", published=sc.at(-3, 9))
    await sc.observe_video(
        "101",
        (sc.at(-2), {"views": 100, "likes": 10, "comments": 2, "shares": 1}),
        (sc.at(-1), {"views": 150, "likes": 12, "comments": 3, "shares": 1}),
    )
    inside, after, _ = await sc.check(sc.range(-4, 0), sc.range(-2, 0), "D7")

    # Window [-4, 0]: the first observation (day -2) goes to the publish date (day -3).
    video = inside["accountVideos"]["101"]
    assert video["account"] == "tt"
    assert video["series"]["views"] == [N, 100, 0, 50, 0]
    assert video["series"]["plays"] == [N, 100, 0, 50, 0]  # TikTok: plays = views
    assert video["series"]["likes"] == [N, 10, 0, 2, 0]
    assert video["series"]["comments"] == [N, 2, 0, 1, 0]
    assert video["series"]["shares"] == [N, 1, 0, 0, 0]
    assert video["series"]["saves"] == [N, N, N, N, N]  # TikTok: never 0
    assert video["series"]["observed"] == [False, False, True, True, False]
    assert video["series"]["engagementRate"] == [N, 13.0, N, 6.0, N]  # 13/100, 3/50
    metrics = video["metrics"]
    assert (metrics["views"], metrics["plays"], metrics["likes"]) == (150, 150, 12)
    assert (metrics["comments"], metrics["shares"], metrics["saves"]) == (3, 1, None)
    assert metrics["engagementRate"] == pytest.approx(16 / 150 * 100)
    assert metrics["coverage"] == pytest.approx(2 / 5)
    account = inside["accounts"]["tt"]["metrics"]
    assert account["videosPublished"] == 1
    assert account["views"] == 150
    assert account["followers"] is None  # no profile observation at all
    assert account["followersChange"] is None
    assert inside["accounts"]["tt"]["series"]["videosPublished"] == [0, 1, 0, 0, 0]
    assert inside["organization"]["metrics"]["views"] == 150

    # Window [-2, 0]: published before it, so only the later gain is inside.
    video = after["accountVideos"]["101"]
    assert video["series"]["views"] == [0, 50, 0]
    assert video["metrics"]["views"] == 50
    assert video["metrics"]["engagementRate"] == pytest.approx(6.0)
    assert after["accounts"]["tt"]["metrics"]["videosPublished"] == 0
    # Previous window [-5, -3]: 100 views, 10 likes, 2 comments, 1 share (rate 13 %).
    comparison = video["comparison"]
    assert comparison["previousWindow"]["start"] == sc.day(-5).isoformat()
    assert comparison["views"] == {
        "current": 50,
        "previous": 100,
        "change": -50,
        "changePercent": -50.0,
    }
    assert comparison["likes"]["change"] == -8
    assert comparison["likes"]["changePercent"] == pytest.approx(-80.0)
    assert comparison["saves"] == {
        "current": None,
        "previous": None,
        "change": None,
        "changePercent": None,
    }
    assert comparison["engagementRate"]["current"] == pytest.approx(6.0)
    assert comparison["engagementRate"]["previous"] == pytest.approx(13.0)
    assert comparison["engagementRate"]["change"] == pytest.approx(-7.0)  # percentage points
    assert comparison["engagementRate"]["changePercent"] == pytest.approx(-7 / 13 * 100)


async def test_video_published_before_the_window(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    # 23:59 UTC: the publish date is day -10, not the next one.
    await sc.video("201", TIKTOK, account="tt", published=sc.at(-10, 23, 59))
    await sc.observe_video("201", (sc.at(-8), {"views": 1000}), (sc.at(-2), {"views": 1200}))
    inside, early, _ = await sc.check(sc.range(-4, 0), sc.range(-10, -8), "D30")
    assert inside["accountVideos"]["201"]["series"]["views"] == [0, 0, 200, 0, 0]
    assert inside["accounts"]["tt"]["metrics"]["views"] == 200
    assert inside["accounts"]["tt"]["metrics"]["videosPublished"] == 0
    # Window [-10, -8]: all 1000 first-observed views on the publish date.
    assert early["accountVideos"]["201"]["series"]["views"] == [1000, 0, 0]
    assert early["accounts"]["tt"]["series"]["videosPublished"] == [1, 0, 0]
    assert early["accountVideos"]["201"]["metrics"]["likes"] is None  # never reported


async def test_first_observed_mid_window_without_or_with_a_later_publish_date(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("301", TIKTOK, account="tt", published=None)
    await sc.video("302", TIKTOK, account="tt", published=sc.at(-1))  # later than its data
    await sc.observe_video("301", (sc.at(-3), {"views": 500, "likes": 5}))
    await sc.observe_video("302", (sc.at(-3), {"views": 70}), (sc.at(0), {"views": 90}))
    (answer,) = await sc.check(sc.range(-6, 0))
    # Unknown publish date: to the first observation's date (day -3); null before it.
    assert answer["accountVideos"]["301"]["series"]["views"] == [N, N, N, 500, 0, 0, 0]
    # Publish date later than the first observation: to the first observation's date too.
    assert answer["accountVideos"]["302"]["series"]["views"] == [N, N, N, 70, 0, 0, 20]
    account = answer["accounts"]["tt"]
    assert account["series"]["views"] == [N, N, N, 570, 0, 0, 20]
    # Unknown publish dates are not counted; 302's publish date (day -1) is.
    assert account["series"]["videosPublished"] == [0, 0, 0, 0, 0, 1, 0]
    assert account["metrics"]["videosPublished"] == 1


async def test_counters_that_decrease(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("401", TIKTOK, account="tt", published=sc.at(-5))
    await sc.observe_video(
        "401",
        (sc.at(-5), {"views": 100, "likes": 10, "comments": 4, "shares": 2}),
        (sc.at(-3), {"views": 90, "likes": 8, "comments": 4, "shares": 2}),
        (sc.at(-1), {"views": 95, "likes": 8, "comments": 3, "shares": 2}),
    )
    await sc.observe_profile("tt", (sc.at(-5), 100), (sc.at(-3), 90), (sc.at(-1), 91))
    (answer, _) = await sc.check(sc.range(-4, 0), sc.range(-5, 0))
    video = answer["accountVideos"]["401"]
    assert video["series"]["views"] == [0, -10, 0, 5, 0]  # reported, not clamped
    assert video["series"]["likes"] == [0, -2, 0, 0, 0]
    assert video["series"]["comments"] == [0, 0, 0, -1, 0]
    assert video["metrics"]["views"] == -5
    assert video["metrics"]["likes"] == -2
    account = answer["accounts"]["tt"]
    assert account["series"]["followers"] == [100, 90, 90, 91, 91]
    assert account["series"]["followersChange"] == [0, -10, 0, 1, 0]
    assert account["metrics"]["followers"] == 91
    assert account["metrics"]["followersChange"] == -9


def _negative_zeros(value: object) -> int:
    if isinstance(value, float):
        return int(value == 0 and math.copysign(1.0, value) < 0)
    if isinstance(value, dict):
        return sum(_negative_zeros(v) for v in value.values())
    if isinstance(value, list):
        return sum(_negative_zeros(v) for v in value)
    return 0


async def test_engagement_rate_is_null_over_a_views_gain_that_is_not_positive(org: Org) -> None:
    """SPEC §3: a recount making the window's views gain 0 or negative gives null, never -0.0."""
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.creator("crew", ["tt"])
    await sc.video("402", TIKTOK, account="tt", published=sc.at(-6))
    await sc.observe_video(
        "402",
        (sc.at(-6), {"views": 100, "likes": 10, "comments": 4, "shares": 2}),
        (sc.at(-3), {"views": 90, "likes": 10, "comments": 4, "shares": 2}),
        (sc.at(-2), {"views": 80, "likes": 9, "comments": 4, "shares": 2}),
    )
    # [-3, -2]: views -20 with nothing else changing, then -10 with likes -1.
    (answer,) = await sc.check(sc.range(-3, -2))
    scopes = [
        answer["organization"],
        answer["accounts"]["tt"],
        answer["creators"]["crew"],
        answer["accountVideos"]["402"],
    ]
    for scope in scopes:
        assert scope["metrics"]["views"] == -20
        assert scope["metrics"]["engagementRate"] is None
        assert scope["series"]["views"] == [-10, -10]
        assert scope["series"]["engagementRate"] == [None, None]
        assert scope["comparison"]["engagementRate"]["current"] is None
    assert _negative_zeros(answer) == 0


async def test_gaps_of_several_days(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("501", TIKTOK, account="tt", published=sc.at(-25))
    await sc.observe_video(
        "501", (sc.at(-20), {"views": 10}), (sc.at(-12), {"views": 50}), (sc.at(-3), {"views": 80})
    )
    await sc.observe_profile("tt", (sc.at(-20), 1000), (sc.at(-12), 1100), (sc.at(-3), 1050))
    recent, early, _ = await sc.check(sc.range(-15, 0), sc.range(-25, -21), "D30")
    # [-15, 0]: +40 on day -12 and +30 on day -3, zeros in between and after.
    views = recent["accountVideos"]["501"]["series"]["views"]
    assert views == [0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0]
    assert recent["accounts"]["tt"]["series"]["followers"] == [1000] * 3 + [1100] * 9 + [1050] * 4
    metrics = recent["accounts"]["tt"]["metrics"]
    assert (metrics["views"], metrics["followers"], metrics["followersChange"]) == (70, 1050, 50)
    assert metrics["coverage"] == pytest.approx(2 / 16)
    # [-25, -21]: the first value (day -20) belongs to the publish date (day -25).
    assert early["accountVideos"]["501"]["series"]["views"] == [10, 0, 0, 0, 0]
    assert early["accounts"]["tt"]["series"]["followers"] == [N, N, N, N, N]
    assert early["accounts"]["tt"]["metrics"]["coverage"] == 0.0


async def test_likes_hidden_at_first_then_shown(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.video("601", INSTAGRAM, account="ig", published=sc.at(-6))
    await sc.observe_video(
        "601",
        (sc.at(-5), {"views": 100, "likes": None, "comments": 5}),
        (sc.at(-4), {}),  # an observation that knows nothing: changes nothing
        (sc.at(-2), {"views": 200, "likes": 40, "comments": 6}),
    )
    recent, full = await sc.check(sc.range(-3, 0), sc.range(-6, 0))
    # The first known likes (40, seen on day -2) go to the publish date (day -6).
    video = recent["accountVideos"]["601"]
    assert video["series"]["likes"] == [0, 0, 0, 0]
    assert video["series"]["views"] == [0, 100, 0, 0]
    assert video["metrics"]["likes"] == 0
    video = full["accountVideos"]["601"]
    assert video["series"]["likes"] == [40, 0, 0, 0, 0, 0, 0]
    assert video["series"]["views"] == [100, 0, 0, 0, 100, 0, 0]
    assert video["series"]["comments"] == [5, 0, 0, 0, 1, 0, 0]
    assert video["series"]["plays"] == [N] * 7  # Instagram: no plays unless given
    assert video["series"]["observed"] == [False, True, True, False, True, False, False]
    assert video["metrics"]["engagementRate"] == pytest.approx(46 / 200 * 100)


async def test_an_unknown_value_changes_nothing(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.video("651", INSTAGRAM, account="ig", published=sc.at(-9))
    await sc.observe_video(
        "651",
        (sc.at(-5), {"views": 100, "likes": 10}),
        (sc.at(-3), {"views": 150, "likes": None}),
        (sc.at(-1), {"views": 160, "likes": 25}),
    )
    await sc.observe_profile("ig", (sc.at(-5), 50), (sc.at(-3), None), (sc.at(-1), 65))
    (answer,) = await sc.check(sc.range(-4, 0))
    assert answer["accountVideos"]["651"]["series"]["likes"] == [0, 0, 0, 15, 0]
    assert answer["accountVideos"]["651"]["series"]["views"] == [0, 50, 0, 10, 0]
    account = answer["accounts"]["ig"]["series"]
    assert account["followers"] == [50, 50, 50, 65, 65]
    assert account["followersChange"] == [0, 0, 0, 15, 0]
    assert account["observed"] == [False, True, False, True, False]


async def test_image_post_without_views(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.video("701", INSTAGRAM, account="ig", published=sc.at(-3))
    await sc.observe_video(
        "701",
        (sc.at(-2), {"likes": 50, "comments": 4}),
        (sc.at(-1), {"likes": 60, "comments": 4}),
    )
    (answer, _) = await sc.check(sc.range(-3, 0), "D7")
    video = answer["accountVideos"]["701"]
    assert video["metrics"]["views"] is None
    assert video["metrics"]["plays"] is None
    assert video["metrics"]["engagementRate"] is None  # views unknown
    assert video["metrics"]["likes"] == 60
    assert video["series"]["likes"] == [50, 0, 10, 0]
    assert video["series"]["views"] == [N, N, N, N]
    assert video["series"]["engagementRate"] == [N, N, N, N]
    account = answer["accounts"]["ig"]["metrics"]
    assert (account["views"], account["engagementRate"], account["likes"]) == (None, None, 60)


async def test_image_post_next_to_a_video_counts_in_the_numerator(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.video("711", INSTAGRAM, account="ig", published=sc.at(-3))  # image
    await sc.video("712", INSTAGRAM, account="ig", published=sc.at(-3))  # reel
    await sc.observe_video("711", (sc.at(-2), {"likes": 30}))
    await sc.observe_video("712", (sc.at(-2), {"views": 1000, "likes": 70}))
    (answer,) = await sc.check(sc.range(-3, 0))
    # (30 + 70) / 1000 views × 100: the image's likes count, its unknown views do not.
    assert answer["accounts"]["ig"]["metrics"]["engagementRate"] == pytest.approx(10.0)


async def test_tiktok_and_instagram_saves_and_plays(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.account("ig", INSTAGRAM)
    await sc.video("801", TIKTOK, account="tt", published=sc.at(-4))
    await sc.video("802", INSTAGRAM, account="ig", published=sc.at(-4))  # owner insights
    await sc.video("803", INSTAGRAM, account="ig", published=sc.at(-4))  # public data only
    # TikTok sends plays and saves anyway: plays must equal views, saves must stay null.
    await sc.observe_video(
        "801",
        (sc.at(-3), {"views": 100, "plays": 999, "saves": 7}),
        (sc.at(-1), {"views": 130, "plays": 5, "saves": 9}),
    )
    await sc.observe_video(
        "802",
        (sc.at(-3), {"views": 200, "plays": 250, "saves": 3}),
        (sc.at(-1), {"views": 260, "plays": 300, "saves": 5}),
    )
    await sc.observe_video("803", (sc.at(-3), {"views": 40}), (sc.at(-1), {"views": 60}))
    (answer, _) = await sc.check(sc.range(-4, 0), "D7")
    tiktok = answer["accountVideos"]["801"]["metrics"]
    assert (tiktok["views"], tiktok["plays"], tiktok["saves"]) == (130, 130, None)
    assert answer["accountVideos"]["801"]["series"]["saves"] == [N] * 5
    insights = answer["accountVideos"]["802"]["metrics"]
    assert (insights["views"], insights["plays"], insights["saves"]) == (260, 300, 5)
    public = answer["accountVideos"]["803"]["metrics"]
    assert (public["views"], public["plays"], public["saves"]) == (60, None, None)
    ig = answer["accounts"]["ig"]["metrics"]
    assert (ig["views"], ig["plays"], ig["saves"]) == (320, 300, 5)
    assert answer["accounts"]["tt"]["metrics"]["saves"] is None
    organization = answer["organization"]["metrics"]
    assert (organization["views"], organization["plays"], organization["saves"]) == (450, 430, 5)


async def test_creator_spanning_both_platforms(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.account("ig", INSTAGRAM)
    await sc.account("other", TIKTOK)
    await sc.creator("Both", ["tt", "ig"])
    await sc.creator("OnlyIg", ["ig"])  # an account may belong to several creators
    await sc.video("901", TIKTOK, account="tt", published=sc.at(-3))
    await sc.video("902", INSTAGRAM, account="ig", published=sc.at(-2))
    await sc.video("903", TIKTOK, account="other", published=sc.at(-2))
    await sc.observe_profile("tt", (sc.at(-5), 1000), (sc.at(-1), 1100))
    await sc.observe_profile("ig", (sc.at(-5), 500), (sc.at(-1), 450))
    await sc.observe_profile("other", (sc.at(-1), 7))
    await sc.observe_video("901", (sc.at(-1), {"views": 1000, "likes": 100}))
    await sc.observe_video("902", (sc.at(-1), {"views": 100, "likes": 50, "saves": 5}))
    await sc.observe_video("903", (sc.at(-1), {"views": 9, "likes": 9}))
    (answer, *_) = await sc.check(sc.range(-4, 0), sc.range(-5, -5), "D7", "D30")
    both = answer["creators"]["Both"]
    assert both["metrics"]["followers"] == 1550
    assert both["metrics"]["followersChange"] == 50  # +100 − 50
    assert both["metrics"]["views"] == 1100
    assert both["metrics"]["likes"] == 150
    assert both["metrics"]["saves"] == 5  # TikTok's null saves do not hide Instagram's
    # Recomputed from the sums (150 / 1100), not the average of 10 % and 50 %.
    assert both["metrics"]["engagementRate"] == pytest.approx(150 / 1100 * 100)
    assert both["metrics"]["videosPublished"] == 2
    assert both["series"]["followers"] == [1500, 1500, 1500, 1550, 1550]
    assert both["series"]["views"] == [N, 1000, 100, 0, 0]
    assert answer["creators"]["OnlyIg"]["metrics"]["followers"] == 450
    assert answer["organization"]["metrics"]["followers"] == 1557


async def test_post_both_account_video_and_individual_video_counts_once(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1001", TIKTOK, account="tt", individual=True, published=sc.at(-3))
    await sc.video("1002", TIKTOK, individual=True, published=sc.at(-2))  # author not tracked
    await sc.video("1003", TIKTOK, account="tt", published=sc.at(-2))
    await sc.observe_video("1001", (sc.at(-2), {"views": 100, "likes": 1}))
    await sc.observe_video("1002", (sc.at(-2), {"views": 20, "likes": 2}))
    await sc.observe_video("1003", (sc.at(-1), {"views": 3, "likes": 3}))
    (answer, _) = await sc.check(sc.range(-4, 0), "D7")
    assert set(answer["accountVideos"]) == {"1001", "1003"}
    assert set(answer["individualVideos"]) == {"1001", "1002"}
    assert answer["individualVideos"]["1001"]["account"] == "tt"
    assert answer["individualVideos"]["1002"]["account"] is None
    organization = answer["organization"]["metrics"]
    assert organization["views"] == 123  # 100 + 20 + 3, the shared post once
    assert organization["likes"] == 6
    assert organization["videosPublished"] == 3
    assert answer["accounts"]["tt"]["metrics"]["views"] == 103


async def test_one_day_and_366_day_windows(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1101", TIKTOK, account="tt", published=sc.at(-400))
    await sc.observe_video(
        "1101",
        (sc.at(-380), {"views": 100}),
        (sc.at(-200), {"views": 300}),
        (sc.at(0), {"views": 350}),
    )
    await sc.observe_profile("tt", (sc.at(-370), 10), (sc.at(-100), 20))
    year, day_200, today, yesterday, _ = await sc.check(
        sc.range(-365, 0), sc.range(-200, -200), sc.range(0, 0), sc.range(-1, -1), "D90"
    )
    metrics = year["accounts"]["tt"]["metrics"]
    assert metrics["window"] == {
        "start": sc.day(-365).isoformat(),
        "end": sc.day(0).isoformat(),
        "days": 366,
    }
    assert (metrics["views"], metrics["followers"], metrics["followersChange"]) == (250, 20, 10)
    assert metrics["coverage"] == pytest.approx(3 / 366)
    assert len(year["accounts"]["tt"]["series"]["views"]) == 366
    comparison = year["accounts"]["tt"]["comparison"]
    # Previous window [-731, -366]: 100 views (publish date -400), followers baseline only.
    assert comparison["views"]["previous"] == 100
    assert comparison["followers"]["previous"] == 10
    assert comparison["followersChange"] == {
        "current": 10,
        "previous": 0,
        "change": 10,
        "changePercent": None,
    }
    assert day_200["accountVideos"]["1101"]["series"]["views"] == [200]
    assert day_200["accountVideos"]["1101"]["metrics"]["coverage"] == 1.0
    assert today["accountVideos"]["1101"]["metrics"]["views"] == 50
    assert yesterday["accountVideos"]["1101"]["metrics"]["views"] == 0
    assert yesterday["accountVideos"]["1101"]["metrics"]["coverage"] == 0.0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (-366, 0, "range"),  # 367 days
        (-1, -2, "start"),  # start after end
        (-1, 1, "end"),  # end after today
    ],
)
async def test_invalid_custom_windows_are_refused(
    org: Org, start: int, end: int, field: str
) -> None:
    """SPEC §4: start ≤ end ≤ today, at most 366 days; otherwise BAD_USER_INPUT naming the field."""
    sc = Scenario(org)
    result = await org.gql(
        "query($w: WindowInput!) { organization { metrics(window: $w) { views } } }",
        {"w": window_input(sc.range(start, end))},
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert field in str(result.errors[0]["extensions"].get("field"))


async def test_window_entirely_before_any_data(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.account("ig", INSTAGRAM)
    await sc.creator("C", ["tt", "ig"])
    await sc.video("1201", TIKTOK, account="tt", published=sc.at(-10))
    await sc.video("1202", INSTAGRAM, individual=True, published=sc.at(-9))
    await sc.observe_profile("tt", (sc.at(-10), 5))
    await sc.observe_video("1201", (sc.at(-10), {"views": 1, "likes": 1}))
    await sc.observe_video("1202", (sc.at(-8), {"views": 2, "likes": 2, "saves": 1}))
    (answer,) = await sc.check(sc.range(-40, -31))
    for scope in [
        answer["organization"],
        answer["creators"]["C"],
        answer["accounts"]["tt"],
        answer["accounts"]["ig"],
    ]:
        metrics = scope["metrics"]
        for name in ("followers", "followersChange", "views", "plays", "likes", "saves"):
            assert metrics[name] is None, name
        for name in ("comments", "shares", "engagementRate"):
            assert metrics[name] is None, name
        assert metrics["coverage"] == 0.0
        assert metrics["videosPublished"] == 0
        assert scope["series"]["views"] == [N] * 10
        assert scope["series"]["followers"] == [N] * 10
        assert scope["series"]["observed"] == [False] * 10
        assert scope["series"]["videosPublished"] == [0] * 10
        assert scope["comparison"]["views"] == {
            "current": None,
            "previous": None,
            "change": None,
            "changePercent": None,
        }
        assert scope["comparison"]["videosPublished"]["current"] == 0


async def test_window_after_the_last_observation(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1251", TIKTOK, account="tt", published=sc.at(-20))
    await sc.observe_profile("tt", (sc.at(-15), 300), (sc.at(-12), 310))
    await sc.observe_video("1251", (sc.at(-15), {"views": 10, "likes": 1}))
    (answer,) = await sc.check(sc.range(-6, 0))
    metrics = answer["accounts"]["tt"]["metrics"]
    # Known before the window, nothing attributed inside: 0, not null; the level carries.
    assert (metrics["views"], metrics["likes"], metrics["comments"]) == (0, 0, None)
    assert (metrics["followers"], metrics["followersChange"]) == (310, 0)
    assert metrics["coverage"] == 0.0
    assert metrics["engagementRate"] is None  # views 0
    assert answer["accounts"]["tt"]["series"]["followers"] == [310] * 7


async def test_followers_first_observed_inside_the_window(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.observe_profile("ig", (sc.at(-3), 1000), (sc.at(-2), None), (sc.at(-1), 1200))
    (answer, _) = await sc.check(sc.range(-5, 0), "D7")
    account = answer["accounts"]["ig"]
    assert account["series"]["followers"] == [N, N, 1000, 1000, 1200, 1200]
    assert account["series"]["followersChange"] == [N, N, 0, 0, 200, 0]  # baseline: 0
    assert account["series"]["observed"] == [False, False, True, True, True, False]
    assert account["metrics"]["followers"] == 1200
    assert account["metrics"]["followersChange"] == 200
    assert account["metrics"]["views"] is None  # no videos at all
    assert account["comparison"]["followers"] == {
        "current": 1200,
        "previous": None,
        "change": None,
        "changePercent": None,
    }


async def test_last_observation_of_a_utc_date_counts(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1301", TIKTOK, account="tt", published=sc.at(-5))
    await sc.observe_video(
        "1301",
        (sc.at(-3, 20), {"views": 130}),
        (sc.at(-3, 8), {"views": 100}),  # earlier the same day, listed later
        (sc.at(-2, 0, 1), {"views": 150}),
        (sc.at(-3, 23, 59), {"views": 140}),
    )
    # A separate refresh reporting an earlier moment of day -3 does not replace its last one.
    await sc.observe_video("1301", (sc.at(-3, 10), {"views": 999}))
    await sc.observe_profile("tt", (sc.at(-3, 9), 5), (sc.at(-3, 18), 8), (sc.at(-1), 9))
    (answer,) = await sc.check(sc.range(-5, 0))
    assert answer["accountVideos"]["1301"]["series"]["views"] == [140, 0, 0, 10, 0, 0]
    assert answer["accounts"]["tt"]["series"]["followers"] == [N, N, 8, 8, 9, 9]


async def test_account_tracked_later_adopts_an_individual_video(org: Org) -> None:
    sc = Scenario(org)
    await sc.video("1401", INSTAGRAM, individual=True, published=sc.at(-8))
    await sc.observe_video(
        "1401",
        (sc.at(-7), {"views": 100, "likes": 10}),
        (sc.at(-3), {"views": 180, "likes": 12}),
        (sc.at(-1), {"views": 200, "likes": 15}),
    )
    (before,) = await sc.check(sc.range(-9, 0))
    await sc.account("late", INSTAGRAM)
    await sc.observe_profile("late", (sc.at(-1), 40))
    await sc.set_video_account("1401", "late")
    await sc.observe_video("1401", (sc.at(0), {"views": 210, "likes": 15}))
    (after, _) = await sc.check(sc.range(-9, 0), "D7")
    assert before["organization"]["metrics"]["views"] == 200
    assert before["accountVideos"] == {}
    account = after["accounts"]["late"]
    # The whole history moved with the video, not only what came after the adoption.
    assert account["series"]["views"] == [N, 100, 0, 0, 0, 0, 80, 0, 20, 10]
    assert account["metrics"]["views"] == 210
    assert account["metrics"]["videosPublished"] == 1
    assert account["metrics"]["coverage"] == pytest.approx(4 / 10)
    assert after["individualVideos"]["1401"]["account"] == "late"
    assert after["accountVideos"]["1401"]["account"] == "late"
    organization = after["organization"]["metrics"]
    assert (organization["views"], organization["videosPublished"]) == (210, 1)


async def test_account_video_given_back_to_no_account(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1451", TIKTOK, account="tt", individual=True, published=sc.at(-4))
    await sc.video("1452", TIKTOK, account="tt", published=sc.at(-4))
    await sc.observe_video("1451", (sc.at(-3), {"views": 50}), (sc.at(-1), {"views": 70}))
    await sc.observe_video("1452", (sc.at(-3), {"views": 5}))
    await sc.set_video_account("1451", None)
    (answer,) = await sc.check(sc.range(-6, 0))
    assert answer["accounts"]["tt"]["metrics"]["views"] == 5
    assert answer["organization"]["metrics"]["views"] == 75


async def test_removed_video_leaves_organization_totals(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.creator("C", ["tt"])
    await sc.video("1501", TIKTOK, account="tt", published=sc.at(-6))
    await sc.video("1502", TIKTOK, account="tt", published=sc.at(-5))
    await sc.video("1503", TIKTOK, individual=True, published=sc.at(-5))
    await sc.observe_video("1501", (sc.at(-5), {"views": 100}), (sc.at(-2), {"views": 160}))
    await sc.observe_video("1502", (sc.at(-4), {"views": 30}), (sc.at(-2), {"views": 40}))
    await sc.observe_video("1503", (sc.at(-4), {"views": 7}))
    (before,) = await sc.check(sc.range(-6, 0))
    assert before["organization"]["metrics"]["views"] == 207
    assert before["organization"]["metrics"]["videosPublished"] == 3
    await sc.forget_video("1502")
    await sc.forget_video("1503")
    (after, _) = await sc.check(sc.range(-6, 0), "D30")
    assert set(after["accountVideos"]) == {"1501"}
    assert after["individualVideos"] == {}
    for scope in (after["organization"], after["accounts"]["tt"], after["creators"]["C"]):
        assert scope["metrics"]["views"] == 160
        assert scope["metrics"]["videosPublished"] == 1
        assert scope["series"]["views"] == [100, 0, 0, 0, 60, 0, 0]
        # Day -4 was observed only through the removed videos.
        assert scope["series"]["observed"] == [False, True, False, False, True, False, False]


async def test_video_published_in_the_window_but_never_observed(org: Org) -> None:
    """`videosPublished` counts posts whose publish date is in the window (SPEC §4).

    Nothing in the rule depends on observations: a post whose first refresh has not happened yet
    (or failed) is still a post published in the window.
    """
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("1601", TIKTOK, account="tt", published=sc.at(-2))
    await sc.video("1602", TIKTOK, individual=True, published=sc.at(-2))
    (answer,) = await sc.check(sc.range(-4, 0))
    assert answer["accounts"]["tt"]["metrics"]["videosPublished"] == 1
    assert answer["organization"]["metrics"]["videosPublished"] == 2
    assert answer["accountVideos"]["1601"]["metrics"]["views"] is None


async def test_presets_on_a_mixed_history(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.account("ig", INSTAGRAM)
    await sc.creator("Mixed", ["tt", "ig"])
    await sc.video("1701", TIKTOK, account="tt", published=sc.at(-50))
    await sc.video("1702", INSTAGRAM, account="ig", individual=True, published=sc.at(-20))
    await sc.video("1703", INSTAGRAM, individual=True, published=None)
    await sc.observe_profile("tt", (sc.at(-60), 100), (sc.at(-25), 180), (sc.at(-3), 170))
    await sc.observe_profile("ig", (sc.at(-10), 9000), (sc.at(0), 9100))
    await sc.observe_video(
        "1701",
        (sc.at(-45), {"views": 500, "likes": 50, "comments": 5, "shares": 1}),
        (sc.at(-20), {"views": 900, "likes": 80, "comments": 9, "shares": 3}),
        (sc.at(-2), {"views": 950, "likes": 70, "comments": 9, "shares": 4}),
    )
    await sc.observe_video(
        "1702",
        (sc.at(-19), {"views": 40, "likes": None, "saves": 2}),
        (sc.at(-6), {"views": 90, "likes": 12, "saves": 4, "shares": 1}),
    )
    await sc.observe_video("1703", (sc.at(-28), {"likes": 3}), (sc.at(-1), {"likes": 5}))
    await sc.check("D7", "D30", "D90", sc.range(-30, -8))


NESTED = (
    """
query Nested($w: WindowInput!) {
  accounts(first: 10) { nodes {
    id handle
    videos(first: 10) { nodes {
      id videoId
      metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
    } }
  } }
  creators(first: 10) { nodes {
    id name
    accounts(first: 10) { nodes {
      handle
      metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
    } }
  } }
  individualVideos(first: 10) { nodes {
    id videoId
    asAccountVideo {
      videoId
      metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
    }
  } }
}
"""
    + FRAGMENTS
)

BY_NODE = (
    """
query ByNode($w: WindowInput!, $id: ID!) {
  node(id: $id) {
    ... on Account {
      metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
    }
    ... on Creator {
      metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
    }
    ... on AccountVideo {
      metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
    }
    ... on IndividualVideo {
      metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
    }
  }
}
"""
    + FRAGMENTS
)


def _blocks(node: dict[str, Any]) -> dict[str, Any]:
    return {k: node[k] for k in ("metrics", "series", "comparison")}


async def test_same_numbers_through_every_path(org: Org) -> None:
    """Account.videos, Creator.accounts, asAccountVideo and node(id) agree with the lists."""
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.account("ig", INSTAGRAM)
    await sc.creator("C", ["tt", "ig"])
    await sc.video("1801", TIKTOK, account="tt", individual=True, published=sc.at(-9))
    await sc.video("1802", INSTAGRAM, account="ig", published=sc.at(-4))
    await sc.observe_profile("tt", (sc.at(-8), 10), (sc.at(-2), 12))
    await sc.observe_video(
        "1801", (sc.at(-8), {"views": 9, "likes": 1}), (sc.at(-1), {"views": 20})
    )
    await sc.observe_video("1802", (sc.at(-3), {"views": 4, "likes": 2, "saves": 1}))
    window = sc.range(-6, 0)
    (top,) = await sc.check(window)
    data = (await org.gql(NESTED, {"w": window_input(window)})).data
    problems: list[str] = []
    for account in data["accounts"]["nodes"]:
        for video in account["videos"]["nodes"]:
            expected = _blocks(top["accountVideos"][video["videoId"]])
            problems += differences(expected, _blocks(video), f"Account.videos {video['videoId']}")
            by_node = (await org.gql(BY_NODE, {"w": window_input(window), "id": video["id"]})).data
            problems += differences(expected, by_node["node"], f"node {video['videoId']}")
        by_node = (await org.gql(BY_NODE, {"w": window_input(window), "id": account["id"]})).data
        expected = _blocks(top["accounts"][account["handle"]])
        problems += differences(expected, by_node["node"], f"node {account['handle']}")
    for creator in data["creators"]["nodes"]:
        for account in creator["accounts"]["nodes"]:
            expected = _blocks(top["accounts"][account["handle"]])
            problems += differences(
                expected, _blocks(account), f"Creator.accounts {account['handle']}"
            )
        by_node = (await org.gql(BY_NODE, {"w": window_input(window), "id": creator["id"]})).data
        expected = _blocks(top["creators"][creator["name"]])
        problems += differences(expected, by_node["node"], f"node {creator['name']}")
    for video in data["individualVideos"]["nodes"]:
        by_node = (await org.gql(BY_NODE, {"w": window_input(window), "id": video["id"]})).data
        expected = _blocks(top["individualVideos"][video["videoId"]])
        problems += differences(expected, by_node["node"], f"node individual {video['videoId']}")
        if video["asAccountVideo"] is not None:
            problems += differences(
                _blocks(top["accountVideos"][video["videoId"]]),
                _blocks(video["asAccountVideo"]),
                f"asAccountVideo {video['videoId']}",
            )
    assert not problems, "\n".join(problems)


async def test_publish_time_with_an_offset_counts_on_its_utc_date(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    # 01:30 at UTC+03:00 on day -3 is 22:30 UTC on day -4: published on day -4.
    local = sc.at(-3, 1, 30).replace(tzinfo=timezone(timedelta(hours=3)))
    await sc.video("1901", TIKTOK, account="tt", published=local)
    await sc.observe_video("1901", (sc.at(-2), {"views": 100}))
    (answer,) = await sc.check(sc.range(-5, 0))
    assert answer["accountVideos"]["1901"]["series"]["views"] == [N, 100, 0, 0, 0, 0]
    assert answer["accounts"]["tt"]["series"]["videosPublished"] == [0, 1, 0, 0, 0, 0]


async def test_counts_beyond_32_bits(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("2001", TIKTOK, account="tt", published=sc.at(-3))
    await sc.observe_profile("tt", (sc.at(-3), 3_000_000_000), (sc.at(-1), 3_000_000_123))
    await sc.observe_video(
        "2001",
        (sc.at(-3), {"views": 5_000_000_000, "likes": 2**33}),
        (sc.at(-1), {"views": 9_000_000_000, "likes": 2**33 + 1}),
    )
    (answer,) = await sc.check(sc.range(-3, 0))
    metrics = answer["accounts"]["tt"]["metrics"]
    assert metrics["views"] == 9_000_000_000
    assert metrics["likes"] == 2**33 + 1
    assert metrics["followers"] == 3_000_000_123
    assert metrics["followersChange"] == 123


async def test_publish_date_learned_after_the_observations(org: Org) -> None:
    """Attribution follows the video's publish date, also when it becomes known later."""
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    await sc.video("2101", TIKTOK, account="tt", published=None)
    await sc.observe_video("2101", (sc.at(-2), {"views": 100}), (sc.at(-1), {"views": 130}))
    (before,) = await sc.check(sc.range(-6, 0))
    assert before["accountVideos"]["2101"]["series"]["views"] == [N, N, N, N, 100, 30, 0]
    await models.Video.filter(id=sc.video_ids["2101"]).update(published_at=sc.at(-5))
    await store.rederive_video(sc.video_ids["2101"])
    sc.world.videos["2101"].published = sc.day(-5)
    (after,) = await sc.check(sc.range(-6, 0))
    assert after["accountVideos"]["2101"]["series"]["views"] == [N, 100, 0, 0, 0, 30, 0]
    assert after["accounts"]["tt"]["metrics"]["videosPublished"] == 1


async def test_empty_organization(org: Org) -> None:
    sc = Scenario(org)
    (answer,) = await sc.check("D7")
    metrics = answer["organization"]["metrics"]
    assert metrics["views"] is None
    assert metrics["followers"] is None
    assert metrics["coverage"] == 0.0
    assert metrics["videosPublished"] == 0
    assert answer["organization"]["series"]["observed"] == [False] * 7


async def test_recording_the_same_observations_twice_changes_nothing(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("ig", INSTAGRAM)
    await sc.video("2201", INSTAGRAM, account="ig", individual=True, published=sc.at(-6))
    video = [(sc.at(-5), {"views": 10, "likes": 2}), (sc.at(-2), {"views": 30, "likes": 1})]
    profile = [(sc.at(-5), 100), (sc.at(-2), 120)]
    await sc.observe_video("2201", *video)
    await sc.observe_profile("ig", *profile)
    first = await sc.check(sc.range(-6, 0), "D30")
    await sc.observe_video("2201", *video)
    await sc.observe_profile("ig", *profile)
    second = await sc.check(sc.range(-6, 0), "D30")
    assert first == second


async def test_concurrent_refreshes_of_one_account(org: Org) -> None:
    sc = Scenario(org)
    await sc.account("tt", TIKTOK)
    for i in range(6):
        await sc.video(
            f"23{i:02}", TIKTOK, account="tt", individual=i % 2 == 0, published=sc.at(-9 + i)
        )
    await asyncio.gather(
        sc.observe_profile("tt", (sc.at(-5), 10), (sc.at(-1), 20)),
        *[
            sc.observe_video(
                f"23{i:02}",
                (sc.at(-8 + i), {"views": 10 * i, "likes": i}),
                (sc.at(-1), {"views": 30 * i + 1}),
            )
            for i in range(6)
        ],
        *[sc.observe_video(f"23{i:02}", (sc.at(-2), {"views": 20 * i})) for i in range(6)],
    )
    await sc.check(sc.range(-10, 0), "D7")
