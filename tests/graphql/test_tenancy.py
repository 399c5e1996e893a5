"""Tenancy: another organization's ids behave exactly like ids that do not exist (SPEC §2, §8).

Two organizations A and B get identical data (same handles, same posts, same creator name), so
only the organization separates their rows. Every read and write A makes with B's ids is
compared with the same call made with a made-up id of the right type: the responses must be
identical, and B's data (read through B's key and through the ORM) must not change.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import models
from app.models import Scope
from tests.conftest import Org

MISSING_PK = 2**31 - 1
ERRORS = "userErrors { field message code }"
TRACK = f"""mutation($platform: Platform, $handle: String, $url: String, $key: String) {{
  r: trackAccount(platform: $platform, handle: $handle, url: $url, idempotencyKey: $key) {{
    account {{ id }} created {ERRORS} }} }}"""
ADD_VIDEO = f"""mutation($id: String, $platform: Platform, $url: String) {{
  r: addVideo(id: $id, platform: $platform, url: $url) {{ video {{ id }} created {ERRORS} }} }}"""
CREATE_CREATOR = f"""mutation($name: String!, $accountIds: [ID!]!) {{
  r: createCreator(name: $name, accountIds: $accountIds) {{ creator {{ id }} {ERRORS} }} }}"""
REVOKE = f"""mutation($id: ID!) {{
  r: revokeApiKey(id: $id) {{ apiKey {{ id revokedAt }} {ERRORS} }} }}"""
VIEWER = "{ viewer { organization { id } apiKey { id revokedAt } } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
CONN = "totalCount nodes { id }"
WORLD = f"""{{
  viewer {{ organization {{ id }} apiKey {{ id revokedAt }} }}
  accounts(first: 20) {{ totalCount nodes {{ id handle scrapeIntervalHours
    videos(first: 20) {{ {CONN} }} creators(first: 20) {{ {CONN} }} }} }}
  accountVideos(first: 20) {{ totalCount nodes {{ id account {{ id }} }} }}
  individualVideos(first: 20) {{ totalCount nodes {{ id scrapeIntervalHours account {{ id }} }} }}
  creators(first: 20) {{ totalCount nodes {{ id name description updatedAt
    accounts(first: 20) {{ {CONN} }} }} }}
}}"""


def gid(type_name: str, pk: object) -> str:
    """A global id in the API's format: unpadded base64url of "<Type>:<pk>"."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Ids:
    """Global ids of one organization's objects; the field name's type is in `TYPES`."""

    organization: str
    api_key: str
    account: str  # Instagram, two feed videos
    tiktok_account: str  # TikTok, author of `dual_video`
    account_video: str
    individual_video: str  # added by hand, author not tracked
    dual_video: str  # added by hand, author tracked: also an account video
    creator: str  # members: account, tiktok_account


TYPES = {"organization": "Organization", "api_key": "ApiKey", "account": "Account"}
TYPES |= {"tiktok_account": "Account", "account_video": "AccountVideo", "creator": "Creator"}
TYPES |= {"individual_video": "IndividualVideo", "dual_video": "IndividualVideo"}
MISSING = Ids(**{f.name: gid(TYPES[f.name], MISSING_PK) for f in fields(Ids)})
MALFORMED = Ids(**{f.name: gid(TYPES[f.name], 10**30) for f in fields(Ids)})


@dataclass
class World:
    a: Org
    b: Org
    a_ids: Ids
    b_ids: Ids


async def populate(org: Org) -> Ids:
    """Identical data for every organization, through the API and (feed videos) the ORM."""

    async def ok(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = (await org.gql(document, variables)).data["r"]
        assert payload["userErrors"] == []
        assert payload.get("created", True) is True
        return payload

    ig = (await ok(TRACK, {"platform": "INSTAGRAM", "handle": "shared.profile"}))["account"]
    tt = (await ok(TRACK, {"platform": "TIKTOK", "handle": "shared_tiktoker"}))["account"]
    solo = await ok(ADD_VIDEO, {"id": "7234567890123456001", "platform": "TIKTOK"})
    dual = await ok(
        ADD_VIDEO, {"url": "https://www.tiktok.com/@shared_tiktoker/video/7234567890123456789"}
    )
    creator = await ok(CREATE_CREATOR, {"name": "Shared name", "accountIds": [ig["id"], tt["id"]]})
    account = await models.Account.get(organization_id=org.id, handle="shared.profile")
    now = datetime.now(UTC)
    feed = [
        await models.Video.create(
            organization_id=org.id,
            platform=models.Platform.INSTAGRAM,
            platform_video_id=str(3_100_000_000_000_000_000 + n),
            account_id=account.id,
            discovered_at=now,
            published_at=now - timedelta(days=n),
        )
        for n in (1, 2)
    ]
    viewer = (await org.gql(VIEWER)).data["viewer"]
    return Ids(
        organization=viewer["organization"]["id"],
        api_key=viewer["apiKey"]["id"],
        account=ig["id"],
        tiktok_account=tt["id"],
        account_video=gid("AccountVideo", feed[0].id),
        individual_video=solo["video"]["id"],
        dual_video=dual["video"]["id"],
        creator=creator["creator"]["id"],
    )


@pytest.fixture
async def world(make_org) -> World:
    a, b = await make_org("A"), await make_org("B")
    world = World(a, b, await populate(a), await populate(b))
    # Connected Instagram accounts, so that disconnectAccount has something to change.
    await models.Account.filter(
        organization_id__in=[a.id, b.id], platform=models.Platform.INSTAGRAM
    ).update(insights_token="sealed-owner-token")
    return world


async def orm_state(org_id: int) -> dict[str, Any]:
    """Every row of the organization, straight from the database."""
    creators = models.Creator.filter(organization_id=org_id)
    return {
        "accounts": await models.Account.filter(organization_id=org_id).order_by("id").values(),
        "videos": await models.Video.filter(organization_id=org_id).order_by("id").values(),
        "creators": await creators.order_by("id").values(),
        "members": await models.CreatorAccount.filter(
            creator_id__in=await creators.values_list("id", flat=True)
        )
        .order_by("id")
        .values_list("creator_id", "account_id"),
        "keys": await models.ApiKey.filter(organization_id=org_id)
        .order_by("id")
        .values_list("id", "name", "scope", "persisted_queries_only", "created_at", "revoked_at"),
        "organization": await models.Organization.filter(id=org_id).values(),
        "idempotency": await models.IdempotencyRecord.filter(organization_id=org_id).count(),
    }


async def everything(world: World) -> tuple[Any, ...]:
    """Both organizations' rows, and B's data as B's own key reads it."""
    b_view = await world.b.gql(WORLD)
    return await orm_state(world.a.id), await orm_state(world.b.id), b_view.status, b_view.body


def listed(connection: dict[str, Any]) -> tuple[int, list[str]]:
    return connection["totalCount"], sorted(node["id"] for node in connection["nodes"])


def api_shape(data: dict[str, Any]) -> dict[str, Any]:
    accounts, creators = data["accounts"]["nodes"], data["creators"]["nodes"]
    return {
        "accounts": listed(data["accounts"]),
        "Account.videos": {a["id"]: listed(a["videos"]) for a in accounts},
        "Account.creators": {a["id"]: listed(a["creators"]) for a in accounts},
        "accountVideos": listed(data["accountVideos"]),
        "individualVideos": listed(data["individualVideos"]),
        "creators": listed(data["creators"]),
        "Creator.accounts": {c["id"]: listed(c["accounts"]) for c in creators},
    }


def orm_shape(state: dict[str, Any]) -> dict[str, Any]:
    def ids(type_name: str, pks: list[int]) -> tuple[int, list[str]]:
        return len(pks), sorted(gid(type_name, pk) for pk in pks)

    accounts = [row["id"] for row in state["accounts"]]
    creators = [row["id"] for row in state["creators"]]
    videos, members = state["videos"], state["members"]

    def fed(account: int) -> list[int]:
        return [v["id"] for v in videos if v["account_id"] == account]

    return {
        "accounts": ids("Account", accounts),
        "Account.videos": {gid("Account", a): ids("AccountVideo", fed(a)) for a in accounts},
        "Account.creators": {
            gid("Account", a): ids("Creator", [c for c, m in members if m == a]) for a in accounts
        },
        "accountVideos": ids("AccountVideo", [v["id"] for v in videos if v["account_id"]]),
        "individualVideos": ids("IndividualVideo", [v["id"] for v in videos if v["is_individual"]]),
        "creators": ids("Creator", creators),
        "Creator.accounts": {
            gid("Creator", c): ids("Account", [m for k, m in members if k == c]) for c in creators
        },
    }


@pytest.mark.parametrize("field", [f.name for f in fields(Ids)])
async def test_node_and_nodes_give_null_for_another_orgs_id_exactly_as_for_a_missing_id(
    world: World, field: str
) -> None:
    foreign, missing, own = (getattr(ids, field) for ids in (world.b_ids, MISSING, world.a_ids))
    type_name = TYPES[field]
    at_home = await world.b.gql(NODE, {"id": foreign})
    assert at_home.data == {"node": {"__typename": type_name, "id": foreign}}
    from_a = await world.a.gql(NODE, {"id": foreign})
    from_a_missing = await world.a.gql(NODE, {"id": missing})
    assert from_a.status == from_a_missing.status == 200
    assert from_a.body == from_a_missing.body == {"data": {"node": None}}
    batch = await world.a.gql(NODES, {"ids": [foreign, own, missing]})
    assert batch.body == {"data": {"nodes": [None, {"__typename": type_name, "id": own}, None]}}


@pytest.mark.parametrize(
    "bad_id",
    [
        "garbage",
        "!!",
        "====",
        "Account:1",
        "QWNjb3VudA",
        "x" * 128,  # the longest id accepted (longer is BAD_USER_INPUT: test_hostile_input)
        2**53,
        gid("Video", 1),
        gid("User", 1),
        gid("account", 1),
        gid("Account", ""),
        gid("Account", "-1"),
        gid("Account", 0),
        gid("Account", "1.5"),
        gid("Account", " 1"),
        gid("Account", "1:2"),
        gid("Account", "\u0661"),
        gid("Account", 2**31),
        gid("Account", 10**30),
        base64.urlsafe_b64encode(b"\xff\xfe:\x00").decode(),
    ],
)
async def test_malformed_id_gives_null_node_and_null_nodes_entry_without_errors(
    world: World, bad_id: object
) -> None:
    single = await world.a.gql(NODE, {"id": bad_id})
    assert (single.status, single.body) == (200, {"data": {"node": None}})
    batch = await world.a.gql(NODES, {"ids": [bad_id, world.a_ids.account]})
    assert (batch.status, batch.body) == (
        200,
        {"data": {"nodes": [None, {"__typename": "Account", "id": world.a_ids.account}]}},
    )


async def test_every_connection_and_total_count_hold_exactly_the_callers_own_rows(
    world: World,
) -> None:
    seen: list[set[str]] = []
    for org in (world.a, world.b):
        shape = api_shape((await org.gql(WORLD)).data)
        assert shape == orm_shape(await orm_state(org.id))
        top = {k: v for k, v in shape.items() if isinstance(v, tuple)}
        counts = {k: total for k, (total, _) in top.items()}
        assert counts == {"accounts": 2, "accountVideos": 3, "individualVideos": 2, "creators": 1}
        seen.append({node_id for _, ids in top.values() for node_id in ids})
    assert seen[0].isdisjoint(seen[1])


@pytest.mark.parametrize(
    ("connection", "argument", "field"),
    [
        ("accounts", "creatorId", "creator"),
        ("accountVideos", "accountId", "account"),
        ("accountVideos", "creatorId", "creator"),
        ("individualVideos", "accountId", "tiktok_account"),
        ("individualVideos", "creatorId", "creator"),
        ("creators", "accountId", "account"),
    ],
)
async def test_connection_filtered_by_another_orgs_id_is_empty_exactly_as_for_a_missing_id(
    world: World, connection: str, argument: str, field: str
) -> None:
    document = f"query($id: ID) {{ {connection}({argument}: $id) {{ {CONN} }} }}"
    at_home = await world.b.gql(document, {"id": getattr(world.b_ids, field)})
    assert at_home.data[connection]["totalCount"] > 0
    foreign = await world.a.gql(document, {"id": getattr(world.b_ids, field)})
    missing = await world.a.gql(document, {"id": getattr(MISSING, field)})
    assert foreign.body == missing.body == {"data": {connection: {"totalCount": 0, "nodes": []}}}


Vars = Callable[[Ids, Ids], dict[str, Any]]  # (caller's ids, ids of the target) -> variables


def mutation(call: str, params: str, selection: str) -> str:
    head = f"mutation({params})" if params else "mutation"
    return f"{head} {{ r: {call} {{ {selection} {ERRORS} }} }}"


ID, PAIR = "$id: ID!", "$creatorId: ID!, $accountIds: [ID!]!"
ADD = mutation(
    "addAccountsToCreator(creatorId: $creatorId, accountIds: $accountIds)", PAIR, "creator { id }"
)
REMOVE = ADD.replace("addAccountsToCreator", "removeAccountsFromCreator")
W, A = Scope.WRITE, Scope.ADMIN
# name: (scope required, document, variables); with target = own ids every call succeeds.
MUTATIONS: dict[str, tuple[Scope, str, Vars]] = {
    "trackAccount": (W, TRACK, lambda o, t: {"platform": "TIKTOK", "handle": "new_one"}),
    "addVideo": (W, ADD_VIDEO, lambda o, t: {"id": "7234567890123", "platform": "TIKTOK"}),
    "untrackAccount": (
        W,
        mutation("untrackAccount(id: $id)", ID, "untrackedAccountId"),
        lambda o, t: {"id": t.account},
    ),
    "updateAccount": (
        W,
        mutation("updateAccount(id: $id, scrapeIntervalHours: 5)", ID, "account { id }"),
        lambda o, t: {"id": t.account},
    ),
    "connectAccount": (
        W,
        mutation('connectAccount(id: $id, accessToken: "owner-x")', ID, "account { id }"),
        lambda o, t: {"id": t.account},
    ),
    "disconnectAccount": (
        W,
        mutation("disconnectAccount(id: $id)", ID, "account { id }"),
        lambda o, t: {"id": t.account},
    ),
    "updateVideo": (
        W,
        mutation("updateVideo(id: $id, scrapeIntervalHours: 5)", ID, "video { id }"),
        lambda o, t: {"id": t.individual_video},
    ),
    "removeVideo": (
        W,
        mutation("removeVideo(id: $id)", ID, "removedVideoId"),
        lambda o, t: {"id": t.dual_video},
    ),
    "createCreator": (
        W,
        mutation('createCreator(name: "Fresh", accountIds: $ids)', "$ids: [ID!]!", "creator {id}"),
        lambda o, t: {"ids": [o.account, t.account]},
    ),
    "updateCreator": (
        W,
        mutation('updateCreator(id: $id, name: "Taken", description: "x")', ID, "creator {id}"),
        lambda o, t: {"id": t.creator},
    ),
    "deleteCreator": (
        W,
        mutation("deleteCreator(id: $id)", ID, "deletedCreatorId"),
        lambda o, t: {"id": t.creator},
    ),
    "addAccountsToCreator-their-creator": (
        W,
        ADD,
        lambda o, t: {"creatorId": t.creator, "accountIds": [o.account]},
    ),
    "addAccountsToCreator-their-account": (
        W,
        ADD,
        lambda o, t: {"creatorId": o.creator, "accountIds": [o.account, t.account]},
    ),
    "removeAccountsFromCreator-their-creator": (
        W,
        REMOVE,
        lambda o, t: {"creatorId": t.creator, "accountIds": [t.account]},
    ),
    "removeAccountsFromCreator-their-account": (
        W,
        REMOVE,
        lambda o, t: {"creatorId": o.creator, "accountIds": [o.account, t.account]},
    ),
    "createApiKey": (
        A,
        mutation('createApiKey(name: "new", scope: WRITE)', "", "secret apiKey { id }"),
        lambda o, t: {},
    ),
    "revokeApiKey": (A, REVOKE, lambda o, t: {"id": t.api_key}),
    "setPersistedQueriesOnly": (
        A,
        mutation(
            "setPersistedQueriesOnly(enabled: true, apiKeyId: $id)",
            ID,
            "apiKey { id } organization { id }",
        ),
        lambda o, t: {"id": t.api_key},
    ),
}
TARGETED = [name for name in MUTATIONS if name not in ("trackAccount", "addVideo", "createApiKey")]
# Mutations not in MUTATIONS, and why: each new mutation must be added to one or the other.
UNTARGETED = {
    "setRateLimit": "no id: it changes the caller's own organization",
    "requestRefresh": "answers queued: false, not null (tests/worker/test_pipeline.py)",
}


def test_every_mutation_is_covered() -> None:
    from app.graphql.schema import schema

    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None
    named = {name.split("-")[0] for name in MUTATIONS} | set(UNTARGETED)
    assert set(mutation_type.fields) == named


@pytest.mark.parametrize("name", TARGETED)
async def test_mutation_with_another_orgs_id_is_not_found_like_a_missing_id_and_changes_nothing(
    world: World, name: str
) -> None:
    _, document, variables = MUTATIONS[name]
    before = await everything(world)
    foreign = await world.a.gql(document, variables(world.a_ids, world.b_ids))
    missing = await world.a.gql(document, variables(world.a_ids, MISSING))
    malformed = await world.a.gql(document, variables(world.a_ids, MALFORMED))
    assert foreign.body == missing.body == malformed.body
    payload = foreign.data["r"]
    assert [error["code"] for error in payload.pop("userErrors")] == ["NOT_FOUND"]
    assert set(payload.values()) <= {None}
    assert await everything(world) == before


async def test_track_account_of_another_orgs_handle_creates_a_separate_account_sharing_nothing(
    world: World,
) -> None:
    # Same handle and same idempotency key as B: A must neither get B's row nor B's replay.
    b_args = {"platform": "TIKTOK", "handle": "b_first", "key": "same-key"}
    b_first = (await world.b.gql(TRACK, b_args)).data["r"]
    untracked = "https://www.tiktok.com/@b_author/video/7234567890123456777"
    assert (await world.b.gql(ADD_VIDEO, {"url": untracked})).data["r"]["userErrors"] == []
    b_before = await orm_state(world.b.id)
    a_ids = []
    for args in (b_args, {"platform": "TIKTOK", "handle": "b_author"}):
        tracked = (await world.a.gql(TRACK, args)).data["r"]
        assert (tracked["created"], tracked["userErrors"]) == (True, [])
        a_ids.append(tracked["account"]["id"])
    assert a_ids[0] != b_first["account"]["id"]
    assert await orm_state(world.b.id) == b_before  # B's video of @b_author was not adopted
    rows = await models.Account.filter(handle="b_first").order_by("organization_id").values()
    assert [row["organization_id"] for row in rows] == sorted([world.a.id, world.b.id])
    for account_id in a_ids:
        node = await world.a.gql(
            "query($id: ID!) { node(id: $id) { ... on Account { videos { totalCount } } } }",
            {"id": account_id},
        )
        assert node.data == {"node": {"videos": {"totalCount": 0}}}
    again = (await world.a.gql(TRACK, {"platform": "TIKTOK", "handle": "b_first"})).data["r"]
    assert (again["created"], again["account"]["id"]) == (False, a_ids[0])


@pytest.mark.parametrize("victim", [Scope.READ, Scope.ADMIN], ids=["another_key", "calling_key"])
async def test_key_revoked_by_revoke_api_key_gets_401_unauthenticated_on_the_next_request(
    org: Org, victim: Scope
) -> None:
    key_id = (await org.gql(VIEWER, scope=victim)).data["viewer"]["apiKey"]["id"]
    revoked = (await org.gql(REVOKE, {"id": key_id})).data["r"]
    assert (revoked["userErrors"], revoked["apiKey"]["id"]) == ([], key_id)
    assert revoked["apiKey"]["revokedAt"] is not None
    refused = await org.gql(VIEWER, scope=victim)
    assert (refused.status, refused.codes, "data" in refused.body) == (
        401,
        ["UNAUTHENTICATED"],
        False,
    )
    assert await models.ApiKey.filter(organization_id=org.id, revoked_at__isnull=False).count() == 1
    if victim is not Scope.ADMIN:
        assert (await org.gql(VIEWER)).data["viewer"]["apiKey"]["revokedAt"] is None


@pytest.mark.parametrize("name", [name for name in MUTATIONS if "their-account" not in name])
async def test_mutation_below_its_scope_is_insufficient_scope_and_changes_nothing_then_succeeds(
    world: World, name: str
) -> None:
    required, document, variables = MUTATIONS[name]
    before = await orm_state(world.a.id)
    for scope in (s for s in Scope if s < required):
        refused = await world.a.gql(document, variables(world.a_ids, world.a_ids), scope=scope)
        assert refused.codes == ["INSUFFICIENT_SCOPE"]
        assert refused.body["data"] is None
        assert refused.errors[0]["extensions"]["required"] == required.name
        assert await orm_state(world.a.id) == before
    done = await world.a.gql(document, variables(world.a_ids, world.a_ids), scope=required)
    assert done.data["r"]["userErrors"] == []
    assert await orm_state(world.a.id) != before
