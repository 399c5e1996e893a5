"""Relay connections: page sizes, keyset pagination, cursors bound to filters, filters, orders."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any

import orjson
import pytest

from app import models
from app.graphql.ids import encode_id
from app.models import Availability, Platform
from tests.conftest import Org

IG, TT = Platform.INSTAGRAM, Platform.TIKTOK
BASE = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = "totalCount edges { cursor node { key: %s } } nodes { key: %s }"
PAGE += " pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
ACCOUNTS = (
    "query($first: Int, $after: String, $platform: Platform, $query: String, $verified: Boolean,"
    " $availability: Availability, $creator: ID, $order: AccountOrder) { accounts(first: $first,"
    " after: $after, platform: $platform, query: $query, isVerified: $verified,"
    " availability: $availability, creatorId: $creator, orderBy: $order) { %s } }"
) % (PAGE % ("handle", "handle"))
VIDEO_ARGS = (
    "$first: Int, $after: String, $platform: Platform, $query: String, $account: ID,"
    " $creator: ID, $from: DateTime, $to: DateTime, $availability: Availability, $order: VideoOrder"
)
VIDEOS = (
    f"query({VIDEO_ARGS}) {{ %s(first: $first, after: $after, platform: $platform,"
    " query: $query, accountId: $account, creatorId: $creator, publishedAfter: $from,"
    " publishedBefore: $to, availability: $availability, orderBy: $order) { %s } }"
)
VIDEO_QUERIES = {
    name: VIDEOS % (name, PAGE % ("videoId", "videoId"))
    for name in ("accountVideos", "individualVideos")
}
ACCOUNT_VIDEOS = VIDEO_QUERIES["accountVideos"]
NESTED = (
    "query($id: ID!, $first: Int, $after: String%s, $order: %s) {"
    " node(id: $id) { ... on %s { %s(first: $first, after: $after%s, orderBy: $order) { %s } } } }"
)
CREATOR_ACCOUNTS = NESTED % (", $platform: Platform", "AccountOrder", "Creator", "accounts",
                             ", platform: $platform", PAGE % ("handle", "handle"))  # fmt: skip
ACCOUNT_CREATORS = NESTED % ("", "CreatorOrder", "Account", "creators", "", PAGE % ("name", "name"))
ACCOUNT_FEED = NESTED % ("", "VideoOrder", "Account", "videos", "", PAGE % ("videoId", "videoId"))


async def gql(org: Org, document: str, /, **variables: Any) -> Any:
    return (await org.gql(document, variables)).data


async def walk(org: Org, query: str, path: list[str], first: int, **variables: Any) -> list[str]:
    """Follow `endCursor` to the end, checking every page's shape; return the node keys."""
    keys: list[str] = []
    after, totals = None, set()
    while True:
        data = await gql(org, query, **variables, first=first, after=after)
        page = reduce(lambda node, name: node[name], path, data)
        edges, info = page["edges"], page["pageInfo"]
        assert page["nodes"] == [edge["node"] for edge in edges]
        assert 0 < len(edges) <= first
        assert info["hasPreviousPage"] is (after is not None)
        assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
        assert len(edges) == first or not info["hasNextPage"]
        keys += [edge["node"]["key"] for edge in edges]
        totals.add(page["totalCount"])
        if not info["hasNextPage"]:
            assert totals == {len(keys)}
            return keys
        after = info["endCursor"]


def expected(rows: list[Any], attr: str, descending: bool, key: str) -> list[str]:
    """Rows by `attr` then id in the given direction, nulls last either way."""
    known = [r for r in rows if getattr(r, attr) is not None]
    nulls = [r for r in rows if getattr(r, attr) is None]
    known.sort(key=lambda r: (getattr(r, attr), r.id), reverse=descending)
    nulls.sort(key=lambda r: r.id, reverse=descending)
    return [str(getattr(r, key)) for r in known + nulls]


def bad_input_field(result: Any) -> Any:
    assert result.codes == ["BAD_USER_INPUT"], result.body
    return result.errors[0]["extensions"].get("field")


async def seed_accounts(org: Org, *specs: dict[str, Any]) -> list[models.Account]:
    return [
        await models.Account.create(
            organization_id=org.id, **{"platform": TT, "added_at": BASE + timedelta(hours=i), **s}
        )
        for i, s in enumerate(specs)
    ]


async def ordered_accounts(org: Org) -> list[models.Account]:
    """Seven accounts with ties, zeros and nulls in every sort key."""
    same, later = BASE + timedelta(minutes=30, microseconds=250_000), BASE + timedelta(seconds=1)
    values = [  # followers, views, likes, added at
        (300, 5, None, BASE), (None, 9, 1, same), (100, None, 1, same), (300, 0, None, later),
        (None, 5, 7, BASE - timedelta(days=1)), (0, None, 0, BASE + timedelta(days=2)),
        (200, 9, 3, same),
    ]  # fmt: skip
    return await seed_accounts(
        org,
        *(
            {"handle": f"h{i}", "followers": f, "total_views": v, "total_likes": lk, "added_at": at}
            for i, (f, v, lk, at) in enumerate(values)
        ),
    )


async def test_accounts_default_page_size_is_50(org: Org) -> None:
    await models.Account.bulk_create(
        [models.Account(organization_id=org.id, platform=TT, handle=f"u{i:03d}") for i in range(55)]
    )
    page = (await gql(org, ACCOUNTS))["accounts"]
    assert (len(page["edges"]), page["totalCount"]) == (50, 55)
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    rest = (await gql(org, ACCOUNTS, after=page["pageInfo"]["endCursor"]))["accounts"]
    assert (len(rest["nodes"]), rest["pageInfo"]["hasNextPage"]) == (5, False)


@pytest.mark.parametrize(("first", "size"), [(1, 1), (200, 3), (0, None), (201, None), (-1, None)])
async def test_accounts_first_is_limited_to_1_through_200(
    org: Org, first: int, size: int | None
) -> None:
    await seed_accounts(org, {"handle": "a1"}, {"handle": "a2"}, {"handle": "a3"})
    result = await org.gql(ACCOUNTS, {"first": first})
    if size is None:
        assert bad_input_field(result) == "first"
        assert str(first) in result.errors[0]["message"]
    else:
        assert len(result.data["accounts"]["nodes"]) == size


@pytest.mark.parametrize("first", [1, 3])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("field", "attr"),
    [("ADDED_AT", "added_at"), ("FOLLOWERS", "followers"), ("VIEWS", "total_views"),
     ("LIKES", "total_likes")],
)  # fmt: skip
async def test_accounts_pages_walk_every_row_exactly_once_in_order(
    org: Org, field: str, attr: str, direction: str, first: int
) -> None:
    rows = await ordered_accounts(org)
    order = {"field": field, "direction": direction}
    handles = await walk(org, ACCOUNTS, ["accounts"], first, order=order)
    assert handles == expected(rows, attr, direction == "DESC", "handle")


@pytest.mark.parametrize(
    ("direction", "handles"),
    [("ASC", ["h5", "h2", "h6", "h0", "h3", "h1", "h4"]),
     ("DESC", ["h3", "h0", "h6", "h2", "h5", "h4", "h1"])],
)  # fmt: skip
@pytest.mark.parametrize("first", [1, 2, 4, 5])
async def test_accounts_by_followers_put_nulls_last_both_ways_across_page_boundaries(
    org: Org, direction: str, handles: list[str], first: int
) -> None:
    await ordered_accounts(org)
    order = {"field": "FOLLOWERS", "direction": direction}
    assert await walk(org, ACCOUNTS, ["accounts"], first, order=order) == handles


async def test_accounts_default_order_is_most_recently_added_first(org: Org) -> None:
    rows = await ordered_accounts(org)
    assert await walk(org, ACCOUNTS, ["accounts"], 2) == expected(rows, "added_at", True, "handle")


@pytest.mark.parametrize(
    "changed",
    [{"platform": "TIKTOK"}, {"query": "h"}, {"verified": False}, {"availability": "PENDING"},
     {"creator": "CREATOR"}, {"order": {"field": "FOLLOWERS"}},
     {"order": {"field": "ADDED_AT", "direction": "ASC"}}],
)  # fmt: skip
async def test_accounts_cursor_reused_with_other_filters_or_order_is_refused_naming_after(
    org: Org, changed: dict[str, Any]
) -> None:
    rows = await ordered_accounts(org)
    creator = await models.Creator.create(organization_id=org.id, name="c")
    await models.CreatorAccount.create(creator_id=creator.id, account_id=rows[0].id)
    cursor = (await gql(org, ACCOUNTS, first=2))["accounts"]["pageInfo"]["endCursor"]
    same = await gql(org, ACCOUNTS, first=2, after=cursor, order={"field": "ADDED_AT"})
    assert same["accounts"]["pageInfo"]["hasPreviousPage"] is True
    if changed.get("creator"):
        changed = {"creator": encode_id("Creator", creator.id)}
    assert bad_input_field(await org.gql(ACCOUNTS, {"first": 2, "after": cursor, **changed})) == (
        "after"
    )


def forge(payload: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "", "x" * 600, forge({"a": 1}), forge(["binding", "2024-01-01", "7"]),
     forge([1, 2])],
)  # fmt: skip
async def test_accounts_garbage_cursor_is_bad_user_input_naming_after(
    org: Org, cursor: str
) -> None:
    await seed_accounts(org, {"handle": "a1"})
    assert bad_input_field(await org.gql(ACCOUNTS, {"after": cursor})) == "after"


async def test_accounts_cursor_with_a_tampered_sort_value_is_bad_user_input(org: Org) -> None:
    await ordered_accounts(org)
    cursor = (await gql(org, ACCOUNTS, first=1))["accounts"]["pageInfo"]["endCursor"]
    binding, _, pk = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    tampered = forge([binding, 12345, pk])
    assert bad_input_field(await org.gql(ACCOUNTS, {"first": 1, "after": tampered})) == "after"


@pytest.mark.parametrize(
    ("filters", "handles"),
    [
        ({}, {"nora.bakes", "norabakes", "pixel_pete", "pixelxpete", "trail.twins"}),
        ({"platform": "INSTAGRAM"}, {"nora.bakes", "pixelxpete", "trail.twins"}),
        ({"query": "NORA"}, {"nora.bakes", "norabakes"}),
        ({"query": "bakery"}, {"nora.bakes"}),
        ({"query": "  Trail "}, {"trail.twins"}),
        ({"query": "pixel_pete"}, {"pixel_pete"}),
        ({"query": "%"}, {"pixel_pete"}),
        ({"query": "0% p"}, {"pixel_pete"}),
        ({"query": "zzz"}, set()),
        ({"verified": True}, {"nora.bakes", "trail.twins"}),
        ({"verified": False}, {"norabakes", "pixelxpete"}),
        ({"availability": "ACTIVE"}, {"nora.bakes", "pixelxpete"}),
        ({"creator": "CREATOR"}, {"nora.bakes", "norabakes"}),
        ({"creator": "CREATOR", "platform": "TIKTOK"}, {"norabakes"}),
        ({"platform": "TIKTOK", "query": "PETE"}, {"pixel_pete"}),
    ],
)
async def test_accounts_filters_select_matching_rows_and_count_them(
    org: Org, filters: dict[str, Any], handles: set[str]
) -> None:
    rows = await seed_accounts(
        org,
        {"platform": IG, "handle": "nora.bakes", "display_name": "Nora's Bakery",
         "is_verified": True, "availability": Availability.ACTIVE},
        {"handle": "norabakes", "is_verified": False},
        {"handle": "pixel_pete", "display_name": "100% Pete", "availability": Availability.ERROR},
        {"platform": IG, "handle": "pixelxpete", "display_name": "Pete X", "is_verified": False,
         "availability": Availability.ACTIVE},
        {"platform": IG, "handle": "trail.twins", "display_name": "Trail", "is_verified": True},
    )  # fmt: skip
    creator = await models.Creator.create(organization_id=org.id, name="Nora")
    for row in rows[:2]:
        await models.CreatorAccount.create(creator_id=creator.id, account_id=row.id)
    if "creator" in filters:
        filters = {**filters, "creator": encode_id("Creator", creator.id)}
    page = (await gql(org, ACCOUNTS, **filters))["accounts"]
    assert {node["key"] for node in page["nodes"]} == handles
    assert page["totalCount"] == len(handles)


ACTIVE = {"101", "202", "402"}


async def seed_videos(org: Org) -> tuple[list[models.Account], models.Creator, list[models.Video]]:
    """alpha (IG), beta (TT), gamma (TT); creator "AB" = alpha + beta; six feed videos (one of
    them also individual) and two individual-only videos."""
    alpha, beta, gamma = await seed_accounts(
        org, {"platform": IG, "handle": "alpha"}, {"handle": "beta"}, {"handle": "gamma"}
    )
    creator = await models.Creator.create(organization_id=org.id, name="AB")
    for member in (alpha, beta):
        await models.CreatorAccount.create(creator_id=creator.id, account_id=member.id)
    day = [BASE + timedelta(days=d - 1) for d in range(7)]  # day[d] is 2024-01-<d>
    specs: list[tuple[str, models.Account | None, Any, Any, Any, Any, bool]] = [
        # video id, account, published, views, likes, caption, individual
        ("101", alpha, day[1], 100, 10, "Sourdough basics", False),
        ("102", alpha, day[3] + timedelta(microseconds=250), None, 5, "Croissant", False),
        ("103", alpha, None, 300, None, None, False),
        ("201", beta, day[2], 100, 20, "SOURDOUGH fail", False),
        ("202", beta, day[5], 50, 0, "tips", False),
        ("301", gamma, day[4], 0, None, "%100 real", False),
        ("203", beta, day[6], 10, 10, "guest", True),
        ("401", None, day[2], None, 3, "by a stranger", True),
        ("402", None, None, 999, 1, "untitled", True),
    ]
    videos = []
    for vid, author, published, views, likes, caption, individual in specs:
        account = author
        videos.append(await models.Video.create(
            organization_id=org.id, platform=account.platform if account else TT,
            platform_video_id=vid, account_id=account.id if account else None,
            author_handle=account.handle if account else "stranger", published_at=published,
            views=views, likes=likes, caption=caption, is_individual=individual,
            discovered_at=BASE if account else None,
            individual_added_at=BASE if individual else None,
            availability=Availability.ACTIVE if vid in ACTIVE else Availability.PENDING,
        ))  # fmt: skip
    return [alpha, beta, gamma], creator, videos


ALL_FEED = {"101", "102", "103", "201", "202", "203", "301"}


@pytest.mark.parametrize(
    ("connection", "filters", "ids"),
    [
        ("accountVideos", {}, ALL_FEED),
        ("accountVideos", {"platform": "TIKTOK"}, {"201", "202", "203", "301"}),
        ("accountVideos", {"account": "alpha"}, {"101", "102", "103"}),
        ("accountVideos", {"creator": "AB"}, {"101", "102", "103", "201", "202", "203"}),
        ("accountVideos", {"from": "2024-01-03T00:00:00Z"}, {"102", "202", "203", "301"}),
        ("accountVideos", {"from": "2024-01-02T00:00:00Z", "to": "2024-01-05T00:00:00Z"},
         {"201", "102", "301"}),
        ("accountVideos", {"to": "2024-01-02T00:00:00Z"}, {"101"}),
        ("accountVideos", {"query": "sourdough"}, {"101", "201"}),
        ("accountVideos", {"query": "BETA"}, {"201", "202", "203"}),
        ("accountVideos", {"query": "%1"}, {"301"}),
        ("accountVideos", {"query": "102"}, {"102"}),
        ("accountVideos", {"availability": "ACTIVE"}, {"101", "202"}),
        ("individualVideos", {}, {"203", "401", "402"}),
        ("individualVideos", {"platform": "TIKTOK"}, {"203", "401", "402"}),
        ("individualVideos", {"account": "beta"}, {"203"}),
        ("individualVideos", {"creator": "AB"}, {"203"}),
        ("individualVideos", {"from": "2024-01-02T00:00:00Z"}, {"203", "401"}),
        ("individualVideos", {"to": "2024-01-03T00:00:00Z"}, {"401"}),
        ("individualVideos", {"query": "Stranger"}, {"401", "402"}),
        ("individualVideos", {"query": "BY A str"}, {"401"}),
        ("individualVideos", {"availability": "ACTIVE"}, {"402"}),
    ],
)  # fmt: skip
async def test_video_connection_filters_select_matching_rows_and_count_them(
    org: Org, connection: str, filters: dict[str, Any], ids: set[str]
) -> None:
    accounts, creator, _ = await seed_videos(org)
    by_handle = {a.handle: encode_id("Account", a.id) for a in accounts}
    if "account" in filters:
        filters = {**filters, "account": by_handle[filters["account"]]}
    if "creator" in filters:
        filters = {**filters, "creator": encode_id("Creator", creator.id)}
    page = (await gql(org, VIDEO_QUERIES[connection], **filters))[connection]
    assert {node["key"] for node in page["nodes"]} == ids
    assert page["totalCount"] == len(ids)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("field", "attr"), [("PUBLISHED_AT", "published_at"), ("VIEWS", "views"), ("LIKES", "likes")]
)
@pytest.mark.parametrize("connection", ["accountVideos", "individualVideos"])
async def test_video_connections_walk_every_row_once_in_order_with_nulls_last(
    org: Org, connection: str, field: str, attr: str, direction: str
) -> None:
    _, _, videos = await seed_videos(org)
    feed = connection == "accountVideos"
    rows = [v for v in videos if (v.account_id if feed else v.is_individual)]
    order = {"field": field, "direction": direction}
    keys = await walk(org, VIDEO_QUERIES[connection], [connection], 2, order=order)
    assert keys == expected(rows, attr, direction == "DESC", "platform_video_id")


@pytest.mark.parametrize(
    ("connection", "changed"),
    [("accountVideos", {"account": "alpha"}), ("accountVideos", {"from": "2024-01-02T00:00:00Z"}),
     ("accountVideos", {"query": "s"}), ("accountVideos", {"order": {"field": "VIEWS"}}),
     ("individualVideos", {})],
)  # fmt: skip
async def test_video_cursor_reused_with_other_filters_order_or_connection_is_refused(
    org: Org, connection: str, changed: dict[str, Any]
) -> None:
    (alpha, _, _), _, _ = await seed_videos(org)
    cursor = (await gql(org, ACCOUNT_VIDEOS, first=2))["accountVideos"]["pageInfo"]["endCursor"]
    if "account" in changed:
        changed = {"account": encode_id("Account", alpha.id)}
    result = await org.gql(VIDEO_QUERIES[connection], {"first": 2, "after": cursor, **changed})
    assert bad_input_field(result) == "after"


async def test_account_videos_default_to_newest_published_first(org: Org) -> None:
    await seed_videos(org)
    keys = await walk(org, ACCOUNT_VIDEOS, ["accountVideos"], 3)
    assert keys == ["203", "202", "301", "102", "201", "101", "103"]


async def test_nested_account_videos_page_independently_per_account(org: Org) -> None:
    (alpha, beta, _), _, _ = await seed_videos(org)
    ids = [encode_id("Account", alpha.id), encode_id("Account", beta.id)]
    query = (
        "query($a: ID!, $b: ID!, $ca: String, $cb: String) {"
        " a: node(id: $a) { ... on Account { videos(first: 2, after: $ca) { ...P } } }"
        " b: node(id: $b) { ... on Account { videos(first: 2, after: $cb) { ...P } } } }"
        " fragment P on AccountVideoConnection { totalCount nodes { videoId }"
        " pageInfo { hasNextPage endCursor } }"
    )

    def keys(data: Any) -> list[Any]:
        return [(n["totalCount"], [v["videoId"] for v in n["nodes"]], n["pageInfo"]["hasNextPage"])
                for n in (data["a"]["videos"], data["b"]["videos"])]  # fmt: skip

    first = await gql(org, query, a=ids[0], b=ids[1])
    assert keys(first) == [(3, ["102", "101"], True), (3, ["203", "202"], True)]
    cursors = {"ca": first["a"]["videos"]["pageInfo"]["endCursor"]}
    only_a = await gql(org, query, a=ids[0], b=ids[1], **cursors)
    assert keys(only_a) == [(3, ["103"], False), (3, ["203", "202"], True)]
    cursors["cb"] = first["b"]["videos"]["pageInfo"]["endCursor"]
    both = await gql(org, query, a=ids[0], b=ids[1], **cursors)
    assert keys(both) == [(3, ["103"], False), (3, ["201"], False)]
    for account_id, cursor in ((ids[1], cursors["ca"]), (ids[0], cursors["cb"])):
        result = await org.gql(ACCOUNT_FEED, {"id": account_id, "first": 2, "after": cursor})
        assert bad_input_field(result) == "after"


async def test_nested_account_videos_walk_in_order_and_count_with_filters(org: Org) -> None:
    (alpha, beta, gamma), _, videos = await seed_videos(org)
    for account in (alpha, beta, gamma):
        gid = encode_id("Account", account.id)
        rows = [v for v in videos if v.account_id == account.id]
        for field, attr in (("PUBLISHED_AT", "published_at"), ("VIEWS", "views")):
            order = {"field": field, "direction": "ASC"}
            keys = await walk(org, ACCOUNT_FEED, ["node", "videos"], 1, id=gid, order=order)
            assert keys == expected(rows, attr, False, "platform_video_id")
    query = (
        "{ accounts(orderBy: {field: ADDED_AT, direction: ASC}) { nodes { handle"
        ' videos(publishedAfter: "2024-01-03T00:00:00Z") { totalCount nodes { videoId } } } } }'
    )
    nodes = (await gql(org, query))["accounts"]["nodes"]
    assert [(n["handle"], n["videos"]["totalCount"], [v["videoId"] for v in n["videos"]["nodes"]])
            for n in nodes] == [("alpha", 1, ["102"]), ("beta", 2, ["203", "202"]),
                                ("gamma", 1, ["301"])]  # fmt: skip


async def test_creator_accounts_filter_by_platform_and_paginate(org: Org) -> None:
    rows = await ordered_accounts(org)
    for i, row in enumerate(rows):
        row.platform = IG if i % 3 == 0 else TT
        await row.save(update_fields=["platform"])
    await seed_accounts(org, {"handle": "outsider"})
    creator = await models.Creator.create(organization_id=org.id, name="All")
    for row in rows:
        await models.CreatorAccount.create(creator_id=creator.id, account_id=row.id)
    cid = encode_id("Creator", creator.id)
    tiktok = [r for r in rows if r.platform == TT]
    keys = await walk(org, CREATOR_ACCOUNTS, ["node", "accounts"], 2, id=cid, platform="TIKTOK")
    assert keys == expected(tiktok, "added_at", True, "handle")
    for direction in ("ASC", "DESC"):
        order = {"field": "FOLLOWERS", "direction": direction}
        keys = await walk(org, CREATOR_ACCOUNTS, ["node", "accounts"], 3, id=cid, order=order)
        assert keys == expected(rows, "followers", direction == "DESC", "handle")
    page = await gql(org, CREATOR_ACCOUNTS, id=cid, first=1, platform="TIKTOK")
    cursor = page["node"]["accounts"]["pageInfo"]["endCursor"]
    result = await org.gql(CREATOR_ACCOUNTS, {"id": cid, "first": 1, "after": cursor})
    assert bad_input_field(result) == "after"


async def test_account_creators_list_paginate_and_count(org: Org) -> None:
    (account, other) = await seed_accounts(org, {"handle": "member"}, {"handle": "other"})
    for name in ("Charlie", "Alpha", "Bravo"):
        creator = await models.Creator.create(organization_id=org.id, name=name)
        await models.CreatorAccount.create(creator_id=creator.id, account_id=account.id)
    await models.Creator.create(organization_id=org.id, name="Empty")
    gid = encode_id("Account", account.id)
    by_name = {"field": "NAME", "direction": "ASC"}
    assert await walk(org, ACCOUNT_CREATORS, ["node", "creators"], 1, id=gid, order=by_name) == [
        "Alpha", "Bravo", "Charlie"
    ]  # fmt: skip
    newest_first = await walk(org, ACCOUNT_CREATORS, ["node", "creators"], 2, id=gid)
    assert newest_first == ["Bravo", "Alpha", "Charlie"]
    empty = await gql(org, ACCOUNT_CREATORS, id=encode_id("Account", other.id))
    assert empty["node"]["creators"]["totalCount"] == 0
