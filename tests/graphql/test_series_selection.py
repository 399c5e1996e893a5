"""A series selecting some of its arrays reads only their columns and gives the same arrays.

Every scope's series is asked for once with every array, then with each array alone and in
combinations (aliases, fragments, @skip/@include, the rate), through each way a series is
resolved: a connection's page (look-ahead), a single account (`node`, a fast resolver), a
creator (Strawberry's resolver) and the organization. Histories have gaps, nulls before the
first-known dates and a recount, so carried-forward levels and nulls are exercised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import models
from app.graphql.ids import encode_id
from app.identifiers import Platform
from app.metrics import store
from app.metrics.attribution import COLUMNS
from app.metrics.series import DayRows, columns_for
from app.metrics.windows import today_utc
from tests.conftest import Org

ARRAYS = (
    "dates observed followers followersChange videosPublished views plays likes comments "
    "shares saves engagementRate"
).split()
ALL = " ".join(ARRAYS)
WINDOW = "{range: {start: $start, end: $end}}"


def day(offset: int) -> datetime:
    return datetime.combine(today_utc(), datetime.min.time(), UTC) + timedelta(days=offset, hours=2)


async def _seed(org: Org) -> tuple[list[int], int]:
    accounts = []
    for index, platform in enumerate((Platform.INSTAGRAM, Platform.TIKTOK)):
        account = await models.Account.create(
            organization_id=org.id, platform=platform, handle=f"series{index}"
        )
        accounts.append(account.id)
        await store.record_profile(
            account.id,
            [
                store.ProfileCounters(day(-40 + index), followers=100),
                store.ProfileCounters(day(-20), followers=130 + index),
                store.ProfileCounters(day(-3), followers=120),
            ],
        )
        video = await models.Video.create(
            organization_id=org.id,
            platform=platform,
            platform_video_id=f"77{index}",
            account_id=account.id,
            published_at=day(-30),
        )
        await store.record_video(
            video.id,
            [
                store.VideoCounters(day(-29), views=10, likes=None, comments=1, shares=0),
                store.VideoCounters(day(-25), views=400, likes=20, comments=3, shares=2, saves=1),
                store.VideoCounters(day(-11), views=380, likes=25, comments=3, shares=4, saves=2),
                store.VideoCounters(day(-2), views=900, likes=41, comments=9, shares=4, saves=5),
            ],
        )
    creator = await models.Creator.create(organization_id=org.id, name="both")
    for account_id in accounts:
        await models.CreatorAccount.create(creator_id=creator.id, account_id=account_id)
    return accounts, creator.id


def _documents(selection: str) -> dict[str, str]:
    head = "query Q($start: Date!, $end: Date!" + (", $yes: Boolean = true" * ("$yes" in selection))
    series = f"series(window: {WINDOW}) {{ {selection} }}"
    return {
        "page": f"{head}) {{ accounts(first: 10) {{ nodes {{ handle {series} }} }} }}",
        "node": f"{head}, $id: ID!) {{ node(id: $id) {{ ... on Account {{ {series} }} }} }}",
        "creator": f"{head}, $creator: ID!) {{ node(id: $creator) {{ ... on Creator "
        f"{{ {series} }} }} }}",
        "organization": f"{head}) {{ organization {{ {series} }} }}",
    }


def _series_of(way: str, data: Any) -> list[dict[str, Any]]:
    if way == "page":
        return [node["series"] for node in data["accounts"]["nodes"]]
    if way == "organization":
        return [data["organization"]["series"]]
    return [data["node"]["series"]]


async def _ask(
    org: Org, selection: str, variables: dict[str, Any], fragment: str = ""
) -> dict[str, list[dict[str, Any]]]:
    answers = {}
    for way, document in _documents(selection).items():
        found = await org.gql(document + fragment, variables)
        answers[way] = _series_of(way, found.data)
    return answers


SELECTIONS = [
    *ARRAYS,
    "views likes",
    "engagementRate dates",
    "a: views b: saves",
    "...S",
    "observed ... on EngagementSeries { followersChange }",
    "views saves @skip(if: $yes) likes @include(if: $yes)",
    "__typename dates",
]


@pytest.mark.parametrize("days", [7, 45])
async def test_series_arrays_asked_alone_equal_the_full_series(org: Org, days: int) -> None:
    accounts, creator = await _seed(org)
    end = today_utc()
    variables = {
        "start": (end - timedelta(days=days - 1)).isoformat(),
        "end": end.isoformat(),
        "id": encode_id("Account", accounts[1]),
        "creator": encode_id("Creator", creator),
    }
    full = await _ask(org, ALL, variables)
    assert any(v is None for v in full["page"][0]["followers"]) or days == 7
    assert any(v is not None for v in full["organization"][0]["views"])
    for selection in SELECTIONS:
        fragment = " fragment S on EngagementSeries { likes engagementRate }" * (
            selection == "...S"
        )
        answers = await _ask(org, selection, variables, fragment)
        for way, got in answers.items():
            for mine, whole in zip(got, full[way], strict=True):
                for key, value in mine.items():
                    if key == "__typename":
                        assert value == "EngagementSeries"
                        continue
                    name = {"a": "views", "b": "saves"}.get(key, key)
                    assert value == whole[name], (way, selection, key)
                if "@skip" in selection:
                    assert set(mine) == {"views", "likes"}


def test_a_series_reads_the_columns_of_its_arrays_only() -> None:
    assert columns_for(["dates", "window", "__typename"]) == ()
    assert columns_for(["views"]) == ("views",)
    assert columns_for(["engagement_rate", "observed"]) == (
        "observations",
        "views",
        "likes",
        "comments",
        "shares",
    )
    assert columns_for(["followers_change", "videos_published"]) == ("followers_gain", "published")
    assert columns_for(["some_new_array"]) == COLUMNS  # unknown: everything
    assert columns_for(None) == COLUMNS


def test_a_column_that_was_not_read_is_an_error_not_zeros() -> None:
    rows = DayRows([0, 1], [None if c != "views" else [5, 6] for c in COLUMNS])
    assert rows.column(COLUMNS.index("views")) == [5, 6]
    with pytest.raises(LookupError, match="likes"):
        rows.column(COLUMNS.index("likes"))


def test_rows_that_arrive_out_of_day_order_are_put_back_in_order() -> None:
    from app.metrics.reader import _in_day_order

    views = COLUMNS.index("views")
    columns: list[list[int] | None] = [None] * len(COLUMNS)
    columns[views] = [30, 10, 20]
    rows = _in_day_order(DayRows([2, 0, 1], columns))
    assert list(rows.offsets) == [0, 1, 2]
    assert rows.column(views) == [10, 20, 30]
    assert rows.columns[COLUMNS.index("likes")] is None
    ordered = DayRows([0, 1], columns)
    assert _in_day_order(ordered) is ordered


async def test_a_series_computed_ahead_for_other_arrays_is_read_again_for_these(org: Org) -> None:
    # A connection's look-ahead reads only the columns of the arrays selected under its nodes;
    # the same account's series asked elsewhere in the request, for other arrays, must not get
    # that value (its columns were not read) but a read of its own.
    accounts, creator = await _seed(org)
    end = today_utc()
    variables = {
        "start": (end - timedelta(days=44)).isoformat(),
        "end": end.isoformat(),
        "id": encode_id("Account", accounts[0]),
        "creator": encode_id("Creator", creator),
    }
    full = await _ask(org, ALL, variables)
    head = "query Q($start: Date!, $end: Date!, $id: ID!, $creator: ID!)"
    found = await org.gql(
        f"{head} {{ accounts(first: 10) {{ nodes {{ series(window: {WINDOW}) {{ views }} }} }}"
        f" node(id: $id) {{ ... on Account {{ series(window: {WINDOW}) {{ likes followers }} }} }}"
        f" other: node(id: $creator) {{ ... on Creator {{ accounts(first: 10) {{ nodes {{"
        f" series(window: {WINDOW}) {{ engagementRate observed }} }} }} }} }} }}",
        variables,
    )
    data = found.data
    assert [n["series"]["views"] for n in data["accounts"]["nodes"]] == [
        s["views"] for s in full["page"]
    ]
    first = full["page"][[a["id"] for a in await _ids(org)].index(variables["id"])]
    assert data["node"]["series"] == {"likes": first["likes"], "followers": first["followers"]}
    by_creator = data["other"]["accounts"]["nodes"]
    assert len(by_creator) == 2
    for series in (n["series"] for n in by_creator):
        assert series in [
            {"engagementRate": s["engagementRate"], "observed": s["observed"]} for s in full["page"]
        ]


async def _ids(org: Org) -> list[dict[str, Any]]:
    found = await org.gql("{ accounts(first: 10) { nodes { id } } }")
    nodes: list[dict[str, Any]] = found.data["accounts"]["nodes"]
    return nodes


async def test_coverage_from_a_series_read_for_other_arrays_is_the_window_coverage(
    org: Org,
) -> None:
    # With metrics and a series on one window, coverage is taken from the series' rows: their
    # observation counts are read even when the series selects no array built from them.
    await _seed(org)
    end = today_utc()
    window = f'{{range: {{start: "{(end - timedelta(days=44)).isoformat()}", end: "{end}"}}}}'
    alone = await org.gql(
        f"{{ accounts(first: 10) {{ nodes {{ metrics(window: {window}) {{ coverage }} }} }} }}"
    )
    together = await org.gql(
        f"{{ accounts(first: 10) {{ nodes {{ metrics(window: {window}) {{ coverage }}"
        f" series(window: {window}) {{ views }} }} }} }}"
    )
    coverages = [n["metrics"]["coverage"] for n in alone.data["accounts"]["nodes"]]
    assert [n["metrics"]["coverage"] for n in together.data["accounts"]["nodes"]] == coverages
    assert any(0 < c < 1 for c in coverages)
