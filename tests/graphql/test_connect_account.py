"""connectAccount / disconnectAccount over HTTP: the owner token is sealed and never returned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestServer

from app import models
from app.graphql.ids import encode_id
from app.models import Scope
from app.platforms.budget import LocalBudget
from app.platforms.http import create_session
from app.security.crypto import SecretBox
from app.services.refresh import build_platform_clients
from app.settings import Settings, WorkerSettings
from app.simulator.app import WORLD
from app.worker.jobs import WorkerDeps
from app.worker.refreshers import EmbeddedRefresher, Refresher
from tests.conftest import GraphQLResponse, Org
from tests.platforms.simulated import pointed_at
from tests.services.test_insights import connected_handle, sim_posts, simulator  # noqa: F401

TOKEN = "IGQWRPa1ZA-owner-token.Secret_123"
ERRORS = "userErrors { field message code }"
TRACK = (
    "mutation($p: Platform!, $h: String!) { trackAccount(platform: $p, handle: $h) {"
    " account { id } } }"
)
CONNECT = (
    "mutation($id: ID!, $token: String!) { connectAccount(id: $id, accessToken: $token) {"
    f" account {{ id handle isConnected }} {ERRORS} }} }}"
)
DISCONNECT = (
    "mutation($id: ID!) { disconnectAccount(id: $id) {"
    f" account {{ id isConnected }} {ERRORS} }} }}"
)
NODE = (
    "query($id: ID!) { node(id: $id) { ... on Account { isConnected availability lastError"
    " videos(first: 100) { nodes { videoId savedCount shares } } } } }"
)


async def track(org: Org, handle: str, platform: str = "INSTAGRAM") -> str:
    response = await org.gql(TRACK, {"p": platform, "h": handle})
    account_id: str = response.data["trackAccount"]["account"]["id"]
    return account_id


async def connect(org: Org, account_id: str, token: str = TOKEN) -> GraphQLResponse:
    return await org.gql(CONNECT, {"id": account_id, "token": token}, scope=Scope.WRITE)


async def stored_token(org: Org, handle: str) -> str | None:
    row = await models.Account.get(organization_id=org.id, handle=handle)
    return row.insights_token


def never_shows(response: GraphQLResponse, token: str = TOKEN) -> None:
    assert token not in json.dumps(response.body)
    assert token not in str(response.headers)


async def test_connect_seals_the_token_and_never_returns_it(org: Org, settings: Settings) -> None:
    handle = f"connect.{org.id}"
    account_id = await track(org, handle)

    response = await connect(org, account_id, f"  {TOKEN}\n")

    payload = response.data["connectAccount"]
    assert payload == {
        "account": {"id": account_id, "handle": handle, "isConnected": True},
        "userErrors": [],
    }
    never_shows(response)
    sealed = await stored_token(org, handle)
    assert sealed is not None
    assert TOKEN not in sealed
    assert SecretBox(settings.secret_key.get_secret_value()).open(sealed) == TOKEN
    assert SecretBox("another-key").open(sealed) is None
    row = await models.Account.get(organization_id=org.id, handle=handle)
    assert row.next_scrape_at is not None
    assert row.next_scrape_at <= datetime.now(UTC)  # due at once: saves come soon
    read = await org.gql(NODE, {"id": account_id})
    assert read.data["node"]["isConnected"] is True
    never_shows(read)
    # Reconnecting replaces the token.
    await connect(org, account_id, "another-owner-token")
    replaced = await stored_token(org, handle)
    assert replaced is not None
    assert SecretBox(settings.secret_key.get_secret_value()).open(replaced) == "another-owner-token"


async def test_tiktok_accounts_cannot_be_connected(org: Org) -> None:
    handle = f"tiktok.{org.id}"
    account_id = await track(org, handle, "TIKTOK")

    response = await connect(org, account_id)

    payload = response.data["connectAccount"]
    assert payload["account"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("UNSUPPORTED", ["id"])]
    assert await stored_token(org, handle) is None
    never_shows(response)


async def test_another_organizations_or_an_unknown_account_is_not_found(
    make_org: Callable[[], Awaitable[Org]], settings: Settings
) -> None:
    mine, theirs = await make_org(), await make_org()
    handle = f"theirs.{theirs.id}"
    their_id = await track(theirs, handle)
    await connect(theirs, their_id, "their-token")
    video_id = encode_id("AccountVideo", 1)
    for target in (their_id, encode_id("Account", 2**31 - 1), "not-an-id", video_id):
        for document, variables in (
            (CONNECT, {"id": target, "token": TOKEN}),
            (DISCONNECT, {"id": target}),
        ):
            response = await mine.gql(document, variables)
            payload = next(iter(response.data.values()))
            assert payload["account"] is None
            assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
                ("NOT_FOUND", ["id"])
            ]
    sealed = await stored_token(theirs, handle)
    assert sealed is not None
    assert SecretBox(settings.secret_key.get_secret_value()).open(sealed) == "their-token"


@pytest.mark.parametrize(
    "token",
    # Over 4096 characters is refused before the mutation runs (tests/graphql/test_hostile_input).
    ["", "   ", "two words", "tab\there", "new\nline", "ünïcode"],
    ids=["empty", "blank", "space", "tab", "newline", "non-ascii"],
)
async def test_an_unusable_token_is_invalid_token(org: Org, token: str) -> None:
    handle = f"badtoken.{org.id}"
    account_id = await track(org, handle)

    response = await connect(org, account_id, token)

    payload = response.data["connectAccount"]
    assert payload["account"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_TOKEN", ["accessToken"])
    ]
    if token.strip():
        never_shows(response, token)
    assert await stored_token(org, handle) is None


async def test_a_token_of_4096_characters_is_accepted(org: Org) -> None:
    account_id = await track(org, f"longtoken.{org.id}")
    response = await connect(org, account_id, "t" * 4096)
    assert response.data["connectAccount"]["userErrors"] == []


async def test_disconnect_forgets_the_token(org: Org) -> None:
    handle = f"disconnect.{org.id}"
    account_id = await track(org, handle)
    await connect(org, account_id)

    response = await org.gql(DISCONNECT, {"id": account_id}, scope=Scope.WRITE)

    assert response.data["disconnectAccount"] == {
        "account": {"id": account_id, "isConnected": False},
        "userErrors": [],
    }
    assert await stored_token(org, handle) is None
    assert (await org.gql(NODE, {"id": account_id})).data["node"]["isConnected"] is False
    again = await org.gql(DISCONNECT, {"id": account_id})
    assert again.data["disconnectAccount"]["userErrors"] == []


async def test_both_mutations_need_the_write_scope(org: Org) -> None:
    handle = f"scope.{org.id}"
    account_id = await track(org, handle)
    for document, variables in (
        (CONNECT, {"id": account_id, "token": TOKEN}),
        (DISCONNECT, {"id": account_id}),
    ):
        refused = await org.gql(document, variables, scope=Scope.READ)
        assert refused.codes == ["INSUFFICIENT_SCOPE"]
        assert refused.body["data"] is None
    assert await stored_token(org, handle) is None


@pytest.fixture
async def embedded(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
) -> AsyncIterator[EmbeddedRefresher]:
    """An embedded refresher on the simulator, where the app's lifespan would have put one."""
    configured = pointed_at(settings, simulator)
    state = org.client._transport.app.state  # type: ignore[attr-defined]
    previous: Refresher | None = state.refresher
    async with create_session(5.0) as session:
        clients = build_platform_clients(session, configured, lambda _, n, w: LocalBudget(n, w))
        refresher = EmbeddedRefresher(WorkerDeps(clients, "embedded", WorkerSettings()))
        state.refresher = refresher
        try:
            yield refresher
        finally:
            state.refresher = previous
            await refresher.stop()


async def test_connecting_queues_a_refresh_that_brings_saves(
    org: Org,
    simulator: TestServer,  # noqa: F811
    embedded: EmbeddedRefresher,
) -> None:
    handle = connected_handle(f"soon.{org.id}")
    account_id = await track(org, handle)
    await embedded.drain()  # the first refresh: public data only
    first = (await org.gql(NODE, {"id": account_id})).data["node"]
    assert first["availability"] == "ACTIVE"
    assert first["videos"]["nodes"]
    assert all(v["savedCount"] is None for v in first["videos"]["nodes"])

    connected = await connect(org, account_id, f"owner-{handle}")
    assert connected.data["connectAccount"]["userErrors"] == []
    await embedded.drain()

    node = (await org.gql(NODE, {"id": account_id})).data["node"]
    assert (node["isConnected"], node["lastError"]) == (True, None)
    world, posts = simulator.app[WORLD], sim_posts(simulator, handle)
    saves = {v["videoId"]: v["savedCount"] for v in node["videos"]["nodes"]}
    assert saves == {video_id: world.counters(posts[video_id]).saves for video_id in saves}
    assert any(saves.values())
