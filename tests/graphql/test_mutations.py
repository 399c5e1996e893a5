"""Mutations end to end over HTTP, with the resulting state read back through queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import models
from app.graphql.ids import decode_id, encode_id
from tests.conftest import Org

ERRORS = "userErrors { field message code }"
ACCOUNT = "id platform handle url availability lastScrapeTime nextScrapeTime scrapeIntervalHours"
VIDEO = "id platform videoId shortcode url authorHandle availability lastScrapeTime"
VIDEO += " scrapeIntervalHours account { id } asAccountVideo { id account { id } }"
CREATOR = "id name description updatedAt accounts { totalCount nodes { id } }"
TRACK = (
    "mutation($platform: Platform, $handle: String, $url: String, $hours: Int, $key: String) {"
    " trackAccount(platform: $platform, handle: $handle, url: $url, scrapeIntervalHours: $hours,"
    f" idempotencyKey: $key) {{ account {{ {ACCOUNT} }} created {ERRORS} }} }}"
)
ADD_VIDEO = (
    "mutation($url: String, $shortcode: String, $id: String, $platform: Platform, $hours: Int,"
    " $key: String) { addVideo(url: $url, shortcode: $shortcode, id: $id, platform: $platform,"
    f" scrapeIntervalHours: $hours, idempotencyKey: $key) {{ video {{ {VIDEO} }} created {ERRORS}"
    " } }"
)
CREATE_CREATOR = (
    "mutation($name: String!, $ids: [ID!]!, $description: String, $key: String) {"
    " createCreator(name: $name, accountIds: $ids, description: $description,"
    f" idempotencyKey: $key) {{ creator {{ {CREATOR} }} {ERRORS} }} }}"
)
UPDATE_CREATOR = (
    "mutation($id: ID!, $name: String, $description: String) { updateCreator(id: $id,"
    f" name: $name, description: $description) {{ creator {{ {CREATOR} }} {ERRORS} }} }}"
)
MEMBERS = "mutation($id: ID!, $ids: [ID!]!) { %s(creatorId: $id, accountIds: $ids)"
MEMBERS += f" {{ creator {{ {CREATOR} }} {ERRORS} }} }}"
CREATE_KEY = (
    "mutation($name: String!, $scope: ApiKeyScope!, $key: String) { createApiKey(name: $name,"
    f" scope: $scope, idempotencyKey: $key) {{ apiKey {{ id name scopes revokedAt }} secret"
    f" {ERRORS} }} }}"
)
BY_ID = "mutation($id: ID!) {{ {0}(id: $id) {{ {1} userErrors {{ code field }} }} }}"
REMOVE = BY_ID.format("removeVideo", "removedVideoId")
NODE = "query($id: ID!) {{ node(id: $id) {{ ... on {0} {{ {1} }} }} }}"
ROLES = "{ individualVideos { nodes { id account { id } asAccountVideo { id } } }"
ROLES += " accountVideos { nodes { id account { id } asIndividualVideo { id } } } }"
IG_POST = ("CJBsZ11MYha", "2468449360609904730")
TT_VIDEO = "7320768187275005226"
TT_URL = f"https://www.tiktok.com/@Some.User/video/{TT_VIDEO}?lang=en&is_from_webapp=1"
HOURS = "scrapeIntervalHours"


async def run(org: Org, document: str, **variables: Any) -> dict[str, Any]:
    """Run one operation and return the data of its single root field."""
    data: dict[str, Any] = (await org.gql(document, variables)).data
    return next(iter(data.values()))


def errs(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def track(org: Org, handle: str = "some.user", platform: str = "TIKTOK") -> str:
    payload = await run(org, TRACK, platform=platform, handle=handle)
    assert payload["userErrors"] == [], payload
    return str(payload["account"]["id"])


async def rows(org: Org, model: type[Any]) -> int:
    field = "creator__organization_id" if model is models.CreatorAccount else "organization_id"
    return int(await model.filter(**{field: org.id}).count())


def pk(global_id: str) -> int:
    return (decode_id(global_id) or ("", 0))[1]


def roles(video: str, account: str | None, individual: bool = True) -> dict[str, Any]:
    """ROLES data for one post: individual and/or (when `account`) an account video."""
    feed = encode_id("AccountVideo", pk(video))
    as_account = {"id": feed} if account else None
    owner = {"id": account} if account else None
    mine = [{"id": video, "account": owner, "asAccountVideo": as_account}] * individual
    back = {"id": video} if individual else None
    theirs = [{"id": feed, "account": owner, "asIndividualVideo": back}] * bool(account)
    return {"individualVideos": {"nodes": mine}, "accountVideos": {"nodes": theirs}}


async def test_track_account_creates_a_pending_never_scraped_account_due_now(org: Org) -> None:
    before = datetime.now(UTC)
    payload = await run(org, TRACK, platform="INSTAGRAM", handle="natgeo", hours=168)
    assert (payload["created"], payload["userErrors"]) == (True, [])
    account = payload["account"]
    assert (account["availability"], account["lastScrapeTime"], account[HOURS]) == (
        "PENDING", None, 168
    )  # fmt: skip
    due = datetime.fromisoformat(account["nextScrapeTime"])
    assert before - timedelta(seconds=5) <= due <= datetime.now(UTC) + timedelta(seconds=5)
    listed = await run(org, "{ accounts { totalCount nodes { id handle } } }")
    assert listed == {"totalCount": 1, "nodes": [{"id": account["id"], "handle": "natgeo"}]}


@pytest.mark.parametrize(
    ("variables", "platform", "handle"),
    [
        ({"platform": "INSTAGRAM", "handle": "  @NatGeo "}, "INSTAGRAM", "natgeo"),
        ({"platform": "TIKTOK", "handle": "@Some.User"}, "TIKTOK", "some.user"),
        ({"url": "https://www.instagram.com/NatGeo/?hl=en"}, "INSTAGRAM", "natgeo"),
        ({"url": "instagram.com/nat_geo?igsh=abc123#top"}, "INSTAGRAM", "nat_geo"),
        ({"url": "https://www.tiktok.com/@Some.User?lang=en"}, "TIKTOK", "some.user"),
        ({"url": "https://www.tiktok.com/@some.user/?is_from_webapp=1"}, "TIKTOK", "some.user"),
        ({"platform": "TIKTOK", "url": "https://m.tiktok.com/@some_user"}, "TIKTOK", "some_user"),
    ],
)
async def test_track_account_normalises_handles_and_profile_urls(
    org: Org, variables: dict[str, Any], platform: str, handle: str
) -> None:
    payload = await run(org, TRACK, **variables)
    assert (payload["userErrors"], payload["created"]) == ([], True)
    account = payload["account"]
    assert (account["platform"], account["handle"]) == (platform, handle)
    ig = platform == "INSTAGRAM"
    assert account["url"] == (f"https://www.instagram.com/{handle}/" if ig else
                              f"https://www.tiktok.com/@{handle}")  # fmt: skip


async def test_track_account_is_idempotent_on_platform_and_normalised_handle(org: Org) -> None:
    first = await run(org, TRACK, platform="TIKTOK", handle="some.user")
    again = [
        await run(org, TRACK, platform="TIKTOK", handle="@SOME.USER"),
        await run(org, TRACK, url="https://www.tiktok.com/@Some.User/?lang=en"),
    ]
    assert first["created"] is True
    assert [(p["created"], p["account"]["id"], p["userErrors"]) for p in again] == [
        (False, first["account"]["id"], [])
    ] * 2
    assert await rows(org, models.Account) == 1
    other_platform = await run(org, TRACK, platform="INSTAGRAM", handle="some.user")
    assert other_platform["created"] is True
    assert other_platform["account"]["id"] != first["account"]["id"]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"platform": "INSTAGRAM", "handle": "bad handle!"}, "INVALID_HANDLE", "handle"),
        ({"platform": "INSTAGRAM", "handle": "a..b"}, "INVALID_HANDLE", "handle"),
        ({"platform": "TIKTOK", "handle": "x"}, "INVALID_HANDLE", "handle"),
        ({"url": f"https://www.instagram.com/p/{IG_POST[0]}/"}, "NOT_A_PROFILE_URL", "url"),
        ({"url": TT_URL}, "NOT_A_PROFILE_URL", "url"),
        ({"url": "https://vm.tiktok.com/ZTR45GpSF/"}, "NOT_A_PROFILE_URL", "url"),
        ({"url": "https://example.com/natgeo"}, "INVALID_URL", "url"),
        ({"url": "https://instagram.com.evil.example/natgeo"}, "INVALID_URL", "url"),
        ({"url": "https://tiktok.com@evil.example/@natgeo"}, "INVALID_URL", "url"),
        ({"handle": "natgeo"}, "INVALID_INPUT", "platform"),
        ({"platform": "TIKTOK", "url": "instagram.com/natgeo"}, "INVALID_INPUT", "platform"),
        ({"platform": "TIKTOK", "handle": "ok.handle", "hours": 0}, "OUT_OF_RANGE", HOURS),
        ({"platform": "TIKTOK", "handle": "ok.handle", "hours": 169}, "OUT_OF_RANGE", HOURS),
    ],
)
async def test_track_account_reports_user_errors_and_creates_nothing(
    org: Org, variables: dict[str, Any], code: str, field: str
) -> None:
    payload = await run(org, TRACK, **variables)
    assert (payload["account"], payload["created"]) == (None, False)
    assert errs(payload) == [(code, [field])]
    assert all(e["message"] for e in payload["userErrors"])
    assert await rows(org, models.Account) == 0


# Per mutation: document, first arguments (given a tracked account id), changed arguments, model.
IDEMPOTENT: dict[str, tuple[str, Callable[[str], dict[str, Any]], dict[str, Any], type[Any]]] = {
    "trackAccount": (TRACK, lambda a: {"platform": "TIKTOK", "handle": "idem"}, {"hours": 2},
                     models.Account),
    "addVideo": (ADD_VIDEO, lambda a: {"shortcode": IG_POST[0]}, {"hours": 3}, models.Video),
    "createCreator": (CREATE_CREATOR, lambda a: {"name": "Idem", "ids": [a]}, {"name": "Other"},
                      models.Creator),
    "createApiKey": (CREATE_KEY, lambda a: {"name": "ci", "scope": "READ"}, {"scope": "WRITE"},
                     models.ApiKey),
}  # fmt: skip


@pytest.mark.parametrize("mutation", list(IDEMPOTENT))
async def test_idempotency_key_replay_returns_the_first_result_and_creates_nothing(
    org: Org, mutation: str
) -> None:
    document, variables, _, model = IDEMPOTENT[mutation]
    arguments = {**variables(await track(org, "member")), "key": "retry-1"}
    first = await run(org, document, **arguments)
    assert first["userErrors"] == []
    count = await rows(org, model)
    replay = await run(org, document, **arguments)
    assert replay == first  # same id, same `created`, and for createApiKey the same secret
    assert await rows(org, model) == count
    assert mutation != "createApiKey" or first["secret"].startswith("ca_")


@pytest.mark.parametrize("mutation", list(IDEMPOTENT))
async def test_idempotency_key_with_other_arguments_is_refused_as_reused(
    org: Org, mutation: str
) -> None:
    document, variables, changed, model = IDEMPOTENT[mutation]
    arguments = {**variables(await track(org, "member")), "key": "retry-2"}
    await run(org, document, **arguments)
    count = await rows(org, model)
    refused = await run(org, document, **{**arguments, **changed})
    assert errs(refused) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    entity = {"trackAccount": "account", "addVideo": "video", "createCreator": "creator"}
    assert refused[entity.get(mutation, "apiKey")] is None
    assert await rows(org, model) == count


async def test_idempotency_keys_are_independent_between_organizations(make_org: Any) -> None:
    one, two = await make_org(), await make_org()
    first = await run(one, TRACK, platform="TIKTOK", handle="shared.key", key="same-key")
    same = await run(two, TRACK, platform="TIKTOK", handle="shared.key", key="same-key")
    assert [p["created"] for p in (first, same)] == [True, True]  # not a replay of `one`'s call
    assert first["account"]["id"] != same["account"]["id"]
    other = await run(two, TRACK, platform="TIKTOK", handle="other.handle", key="same-key")
    assert errs(other) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]  # `two`'s own record
    assert [await rows(one, models.Account), await rows(two, models.Account)] == [1, 1]


IG_URL = f"https://www.instagram.com/p/{IG_POST[0]}/"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"url": f"{IG_URL}?igsh=x"}, ("INSTAGRAM", IG_POST[1], IG_POST[0], IG_URL, None)),
        ({"url": "https://instagram.com/reel/CH-__hxDV7T"}, ("INSTAGRAM", "2449676689849802451",
         "CH-__hxDV7T", "https://www.instagram.com/reel/CH-__hxDV7T/", None)),
        ({"url": TT_URL}, ("TIKTOK", TT_VIDEO, None,
         f"https://www.tiktok.com/@some.user/video/{TT_VIDEO}", "some.user")),
        ({"shortcode": "aye83DjauH"}, ("INSTAGRAM", "482584233761418119", "aye83DjauH",
         "https://www.instagram.com/p/aye83DjauH/", None)),
        ({"id": IG_POST[1], "platform": "INSTAGRAM"},
         ("INSTAGRAM", IG_POST[1], IG_POST[0], IG_URL, None)),
        ({"id": TT_VIDEO, "platform": "TIKTOK"},
         ("TIKTOK", TT_VIDEO, None, f"https://www.tiktok.com/@/video/{TT_VIDEO}", None)),
    ],
)  # fmt: skip
async def test_add_video_creates_a_pending_individual_video(
    org: Org, variables: dict[str, Any], expected: tuple[str | None, ...]
) -> None:
    payload = await run(org, ADD_VIDEO, **variables)
    assert (payload["created"], payload["userErrors"]) == (True, [])
    video = payload["video"]
    assert tuple(video[f] for f in ("platform", "videoId", "shortcode", "url", "authorHandle")) == (
        expected
    )
    assert (video["account"], video["asAccountVideo"], video[HOURS]) == (None, None, 24)
    assert (video["availability"], video["lastScrapeTime"]) == ("PENDING", None)
    assert (await org.gql(ROLES)).data == roles(video["id"], None)


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"id": TT_VIDEO}, "INVALID_INPUT", "platform"),
        ({"shortcode": IG_POST[0], "platform": "TIKTOK"}, "INVALID_INPUT", "platform"),
        ({"url": "https://vm.tiktok.com/ZTR45GpSF/"}, "SHORT_LINK_UNSUPPORTED", "url"),
        ({"url": "https://www.tiktok.com/t/ZTRC5xgJp/"}, "SHORT_LINK_UNSUPPORTED", "url"),
        ({"url": "https://instagram.com/share/reel/BAhx3kq9a/"}, "SHORT_LINK_UNSUPPORTED", "url"),
        ({"url": "https://www.instagram.com/natgeo/"}, "NOT_A_VIDEO_URL", "url"),
        ({"url": "https://www.tiktok.com/@natgeo?lang=en"}, "NOT_A_VIDEO_URL", "url"),
        ({"url": f"https://example.com/p/{IG_POST[0]}/"}, "INVALID_URL", "url"),
        ({"shortcode": "not a code!"}, "INVALID_SHORTCODE", "shortcode"),
        ({"id": "12ab", "platform": "TIKTOK"}, "INVALID_VIDEO_ID", "id"),
        ({"shortcode": IG_POST[0], "hours": 0}, "OUT_OF_RANGE", HOURS),
    ],
)
async def test_add_video_reports_user_errors_and_creates_nothing(
    org: Org, variables: dict[str, Any], code: str, field: str
) -> None:
    payload = await run(org, ADD_VIDEO, **variables)
    assert (payload["video"], payload["created"]) == (None, False)
    assert errs(payload) == [(code, [field])]
    assert await rows(org, models.Video) == 0


async def test_adding_the_same_post_again_in_any_form_returns_it_not_created(org: Org) -> None:
    first = (await run(org, ADD_VIDEO, url=IG_URL))["video"]
    again = [
        await run(org, ADD_VIDEO, url=f"https://www.instagram.com/reel/{IG_POST[0]}/?utm_source=x"),
        await run(org, ADD_VIDEO, shortcode=IG_POST[0]),
        await run(org, ADD_VIDEO, id=IG_POST[1], platform="INSTAGRAM"),
    ]
    assert [(p["created"], p["video"]["id"], p["userErrors"]) for p in again] == [
        (False, first["id"], [])
    ] * 3
    assert await rows(org, models.Video) == 1


async def test_added_video_of_a_tracked_tiktok_account_is_also_its_account_video(org: Org) -> None:
    account = await track(org, "some.user")
    video = (await run(org, ADD_VIDEO, url=TT_URL))["video"]
    as_account = encode_id("AccountVideo", pk(video["id"]))
    assert video["account"] == {"id": account}
    assert video["asAccountVideo"] == {"id": as_account, "account": {"id": account}}
    assert (await org.gql(ROLES)).data == roles(video["id"], account)
    feed = await run(org, NODE.format("Account", "videos { totalCount nodes { id } }"), id=account)
    assert feed["videos"] == {"totalCount": 1, "nodes": [{"id": as_account}]}


async def test_track_account_adopts_an_already_added_video_of_that_author(org: Org) -> None:
    video = (await run(org, ADD_VIDEO, url=TT_URL))["video"]
    assert video["account"] is None
    account = await track(org, "some.user")
    assert (await org.gql(ROLES)).data == roles(video["id"], account)
    assert await rows(org, models.Video) == 1


async def test_add_video_of_a_feed_only_post_gives_it_the_individual_role(org: Org) -> None:
    account = await track(org, "some.user")
    row = await models.Video.create(
        organization_id=org.id, platform=models.Platform.TIKTOK, platform_video_id=TT_VIDEO,
        author_handle="some.user", account_id=pk(account), discovered_at=datetime.now(UTC),
    )  # fmt: skip
    payload = await run(org, ADD_VIDEO, id=TT_VIDEO, platform="TIKTOK")
    assert (payload["created"], payload["userErrors"]) == (True, [])
    video = encode_id("IndividualVideo", row.id)
    assert (await org.gql(ROLES)).data == roles(video, account)
    assert await rows(org, models.Video) == 1


@pytest.mark.parametrize(
    ("hours", "code"), [(1, None), (168, None), (0, "OUT_OF_RANGE"), (169, "OUT_OF_RANGE")]
)
async def test_update_video_accepts_intervals_from_1_to_168_hours_only(
    org: Org, hours: int, code: str | None
) -> None:
    video = (await run(org, ADD_VIDEO, shortcode=IG_POST[0]))["video"]
    update = "mutation($id: ID!, $h: Int) { updateVideo(id: $id, scrapeIntervalHours: $h) {"
    update += f" video {{ {HOURS} }} {ERRORS} }} }}"
    payload = await run(org, update, id=video["id"], h=hours)
    assert errs(payload) == ([(code, [HOURS])] if code else [])
    assert payload["video"] == (None if code else {HOURS: hours})
    stored = await run(org, NODE.format("IndividualVideo", HOURS), id=video["id"])
    assert stored[HOURS] == (24 if code else hours)


async def test_a_new_video_interval_counts_from_the_last_refresh(org: Org) -> None:
    video = (await run(org, ADD_VIDEO, shortcode=IG_POST[0]))["video"]
    refreshed = datetime(2026, 11, 30, 12, tzinfo=UTC)
    await models.Video.filter(organization_id=org.id).update(
        last_scrape_at=refreshed, next_scrape_at=refreshed + timedelta(hours=24)
    )
    update = "mutation($id: ID!) { updateVideo(id: $id, scrapeIntervalHours: 2) {"
    update += " video { nextScrapeTime } userErrors { code } } }"
    payload = await run(org, update, id=video["id"])
    assert payload["video"]["nextScrapeTime"] == "2026-11-30T14:00:00+00:00"


async def test_remove_video_deletes_a_video_that_only_was_individual(org: Org) -> None:
    video = (await run(org, ADD_VIDEO, shortcode=IG_POST[0]))["video"]
    removed = await run(org, REMOVE, id=video["id"])
    assert removed == {"removedVideoId": video["id"], "userErrors": []}
    assert (await org.gql(ROLES)).data == {
        "individualVideos": {"nodes": []}, "accountVideos": {"nodes": []}
    }  # fmt: skip
    assert await rows(org, models.Video) == 0
    assert errs(await run(org, REMOVE, id=video["id"])) == [("NOT_FOUND", ["id"])]


async def test_remove_video_keeps_a_post_that_is_also_an_account_video(org: Org) -> None:
    account = await track(org, "some.user")
    video = (await run(org, ADD_VIDEO, url=TT_URL))["video"]
    assert (await run(org, REMOVE, id=video["id"]))["removedVideoId"] == video["id"]
    assert (await org.gql(ROLES)).data == roles(video["id"], account, individual=False)
    assert await rows(org, models.Video) == 1


async def test_untrack_account_drops_it_its_feed_only_videos_and_memberships(org: Org) -> None:
    account = await track(org, "some.user")
    await models.Video.create(
        organization_id=org.id, platform=models.Platform.TIKTOK, author_handle="some.user",
        platform_video_id="7000000000000000001", account_id=pk(account), discovered_at=None,
    )  # fmt: skip
    kept = (await run(org, ADD_VIDEO, url=TT_URL))["video"]
    creator = (await run(org, CREATE_CREATOR, name="Some", ids=[account]))["creator"]
    payload = await run(org, BY_ID.format("untrackAccount", "untrackedAccountId"), id=account)
    assert payload == {"untrackedAccountId": account, "userErrors": []}
    assert (await org.gql(ROLES)).data == roles(kept["id"], None)
    assert await rows(org, models.Video) == 1
    left = await run(org, NODE.format("Creator", CREATOR), id=creator["id"])
    assert left["accounts"] == {"totalCount": 0, "nodes": []}
    assert await run(org, "{ accounts { totalCount } }") == {"totalCount": 0}
    assert await rows(org, models.CreatorAccount) == 0


async def test_create_creator_collapses_whitespace_in_the_name_and_holds_its_accounts(
    org: Org,
) -> None:
    ids = [await track(org, "nora.bakes", "INSTAGRAM"), await track(org, "norabakes")]
    payload = await run(org, CREATE_CREATOR, name="  Nora \t  Bakes ", ids=ids, description="Chef")
    assert payload["userErrors"] == []
    creator = payload["creator"]
    assert (creator["name"], creator["description"]) == ("Nora Bakes", "Chef")
    assert creator["accounts"]["totalCount"] == 2
    assert {n["id"] for n in creator["accounts"]["nodes"]} == set(ids)
    back = await run(org, NODE.format("Account", "creators { nodes { id name } }"), id=ids[1])
    assert back["creators"]["nodes"] == [{"id": creator["id"], "name": "Nora Bakes"}]


async def test_create_creator_refuses_blank_and_duplicate_names(org: Org) -> None:
    account = await track(org)
    await run(org, CREATE_CREATOR, name="Nora Bakes", ids=[account])
    blank = await run(org, CREATE_CREATOR, name=" \t ", ids=[account])
    duplicate = await run(org, CREATE_CREATOR, name="  Nora   Bakes", ids=[account])
    assert (errs(blank), blank["creator"]) == ([("BLANK", ["name"])], None)
    assert (errs(duplicate), duplicate["creator"]) == ([("DUPLICATE", ["name"])], None)
    assert await rows(org, models.Creator) == 1


async def test_create_creator_reports_each_unknown_account_id_by_its_index(make_org: Any) -> None:
    org, other = await make_org(), await make_org()
    mine, foreign = await track(org), await track(other)
    ids = [mine, foreign, "garbage", encode_id("Account", 2**31 - 1), encode_id("Creator", 1)]
    payload = await run(org, CREATE_CREATOR, name="Mixed", ids=ids)
    assert payload["creator"] is None
    assert errs(payload) == [("NOT_FOUND", ["accountIds", str(i)]) for i in (1, 2, 3, 4)]
    assert await rows(org, models.Creator) == 0


async def test_update_creator_renames_and_sets_or_clears_the_description(org: Org) -> None:
    created = (await run(org, CREATE_CREATOR, name="Old", ids=[await track(org)]))["creator"]
    renamed = await run(org, UPDATE_CREATOR, id=created["id"], name=" New   Name", description="d")
    assert renamed["userErrors"] == []
    assert (renamed["creator"]["name"], renamed["creator"]["description"]) == ("New Name", "d")
    cleared = await run(org, UPDATE_CREATOR, id=created["id"], description="")
    assert (cleared["creator"]["name"], cleared["creator"]["description"]) == ("New Name", None)
    stored = await models.Creator.get(id=pk(created["id"]))
    assert (stored.name, stored.description) == ("New Name", None)


async def test_update_creator_refuses_a_blank_name_or_one_taken_by_another_creator(
    org: Org,
) -> None:
    account = await track(org)
    await run(org, CREATE_CREATOR, name="Taken", ids=[account])
    other = (await run(org, CREATE_CREATOR, name="Other", ids=[account]))["creator"]
    refused = await run(org, UPDATE_CREATOR, id=other["id"], name=" Taken ")
    assert (errs(refused), refused["creator"]) == ([("DUPLICATE", ["name"])], None)
    blank = await run(org, UPDATE_CREATOR, id=other["id"], name="  ")
    assert (errs(blank), blank["creator"]) == ([("BLANK", ["name"])], None)
    same = await run(org, UPDATE_CREATOR, id=other["id"], name="Other")
    assert (same["userErrors"], same["creator"]["name"]) == ([], "Other")
    assert (await models.Creator.get(id=pk(other["id"]))).name == "Other"


async def test_delete_creator_keeps_its_accounts_tracked(org: Org) -> None:
    ids = [await track(org, "a.one"), await track(org, "a.two")]
    creator = (await run(org, CREATE_CREATOR, name="Gone", ids=ids))["creator"]
    delete = BY_ID.format("deleteCreator", "deletedCreatorId")
    deleted = await run(org, delete, id=creator["id"])
    assert deleted == {"deletedCreatorId": creator["id"], "userErrors": []}
    query = "{ creators { totalCount } accounts { totalCount nodes { creators { totalCount } } } }"
    data = (await org.gql(query)).data
    assert data["creators"]["totalCount"] == 0
    assert data["accounts"] == {"totalCount": 2, "nodes": [{"creators": {"totalCount": 0}}] * 2}
    assert errs(await run(org, delete, id=creator["id"])) == [("NOT_FOUND", ["id"])]


async def test_add_accounts_to_creator_is_idempotent_and_never_duplicates(org: Org) -> None:
    a, b = await track(org, "a.one"), await track(org, "a.two")
    creator = (await run(org, CREATE_CREATOR, name="Group", ids=[a]))["creator"]
    for ids in ([a, b, b], [b, a]):
        payload = await run(org, MEMBERS % "addAccountsToCreator", id=creator["id"], ids=ids)
        assert payload["userErrors"] == []
        assert payload["creator"]["accounts"]["totalCount"] == 2
        assert {n["id"] for n in payload["creator"]["accounts"]["nodes"]} == {a, b}
    assert await rows(org, models.CreatorAccount) == 2


async def test_remove_accounts_from_creator_keeps_them_tracked(org: Org) -> None:
    a, b = await track(org, "a.one"), await track(org, "a.two")
    creator = (await run(org, CREATE_CREATOR, name="Group", ids=[a, b]))["creator"]
    remove = MEMBERS % "removeAccountsFromCreator"
    for _ in range(2):  # removing a non-member is harmless
        payload = await run(org, remove, id=creator["id"], ids=[a])
        assert payload["userErrors"] == []
        assert payload["creator"]["accounts"] == {"totalCount": 1, "nodes": [{"id": b}]}
    unknown = await run(org, remove, id=creator["id"], ids=[b, "nope"])
    assert errs(unknown) == [("NOT_FOUND", ["accountIds", "1"])]
    assert await run(org, "{ accounts { totalCount } }") == {"totalCount": 2}
    assert await rows(org, models.CreatorAccount) == 1


async def as_key(org: Org, secret: str, query: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {secret}"}
    response = await org.client.post("/graphql", json={"query": query}, headers=headers)
    return response.status_code, response.json()


VIEWER = "{ viewer { apiKey { id name scopes } } }"
SCOPES = [("READ", ["READ"]), ("WRITE", ["WRITE", "READ"]), ("ADMIN", ["ADMIN", "WRITE", "READ"])]


@pytest.mark.parametrize(("scope", "scopes"), SCOPES)
async def test_created_api_key_works_at_once_with_the_requested_scope(
    org: Org, scope: str, scopes: list[str]
) -> None:
    payload = await run(org, CREATE_KEY, name=" ci   bot ", scope=scope)
    assert payload["userErrors"] == []
    key = payload["apiKey"]
    assert (key["name"], key["scopes"], key["revokedAt"]) == ("ci bot", scopes, None)
    status, body = await as_key(org, payload["secret"], VIEWER)
    assert status == 200
    assert body["data"]["viewer"]["apiKey"] == {"id": key["id"], "name": "ci bot", "scopes": scopes}
    mutation = 'mutation { trackAccount(platform: TIKTOK, handle: "scoped") { created } }'
    _, write = await as_key(org, payload["secret"], mutation)
    codes = [e["extensions"]["code"] for e in write.get("errors", [])]
    assert codes == (["INSUFFICIENT_SCOPE"] if scope == "READ" else [])


async def test_revoked_api_key_is_refused_with_401_at_once(org: Org) -> None:
    secret = (await run(org, CREATE_KEY, name="temp", scope="ADMIN"))["secret"]
    key_id = (await as_key(org, secret, VIEWER))[1]["data"]["viewer"]["apiKey"]["id"]
    revoked = await run(org, BY_ID.format("revokeApiKey", "apiKey { id revokedAt }"), id=key_id)
    assert revoked["userErrors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None
    status, body = await as_key(org, secret, VIEWER)
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("document", "variables", "message"),
    [
        (TRACK, {}, "Give exactly one of handle (+ platform) or url"),
        (TRACK, {"handle": "a", "url": "https://www.tiktok.com/@a", "platform": "TIKTOK"}, None),
        (ADD_VIDEO, {}, "Give exactly one of url, shortcode or id (+ platform)"),
        (ADD_VIDEO, {"shortcode": "B", "id": "1", "platform": "INSTAGRAM"}, None),
    ],
)
async def test_giving_not_exactly_one_identifier_is_invalid_input_without_a_field(
    org: Org, document: str, variables: dict[str, Any], message: str | None
) -> None:
    payload = await run(org, document, **variables)
    assert errs(payload) == [("INVALID_INPUT", None)]
    assert payload["userErrors"][0]["message"].startswith("Give exactly one of")
    if message is not None:
        assert payload["userErrors"][0]["message"] == message
    assert await rows(org, models.Account) == 0
    assert await rows(org, models.Video) == 0


async def test_create_creator_needs_at_least_one_account(org: Org) -> None:
    payload = await run(org, CREATE_CREATOR, name="Nobody", ids=[])
    assert (errs(payload), payload["creator"]) == ([("EMPTY", ["accountIds"])], None)
    assert await rows(org, models.Creator) == 0
