"""The simulated Instagram Graph API over real HTTP: wire format, paging, errors, faults."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from app.identifiers import Platform, shortcode_to_pk
from app.simulator import instagram
from app.simulator.app import FAULTS, create_simulator
from app.simulator.clock import SimClock
from app.simulator.faults import Faults
from app.simulator.world import ProfileState, SimProfile, World

NOW = datetime(2027, 1, 15, tzinfo=UTC)
ME = "17841405309211844"
TOKEN = "simulator-token"
MEDIA = (
    "id,caption,like_count,comments_count,view_count,timestamp,permalink,media_type,"
    "media_product_type"
)


def find_handle(test: Callable[[SimProfile, World], bool], seed: int = 7) -> str:
    """The first `creatorN` handle whose simulated profile passes `test`."""
    world = World(seed=seed, clock=lambda: NOW)
    for index in range(500):
        profile = world.profile(Platform.INSTAGRAM, f"creator{index}")
        if test(profile, world):
            return profile.handle
    raise AssertionError("no such handle")


def _hidden_likes(profile: SimProfile, world: World) -> bool:
    return any(p.hidden_likes for p in world.published_posts(profile))


HANDLE = find_handle(lambda p, w: p.state is ProfileState.ACTIVE)
HIDDEN = find_handle(_hidden_likes)


@dataclass
class Sim:
    """A running simulator and a raw HTTP session to it."""

    server: TestServer
    session: aiohttp.ClientSession
    faults: Faults
    clock: SimClock

    async def get(
        self, path: str, token: str | None = TOKEN, **params: str
    ) -> tuple[int, Any, dict[str, str]]:
        if token is not None:
            params["access_token"] = token
        async with self.session.get(self.server.make_url(path), params=params) as response:
            text = await response.text()
            body = json.loads(text) if response.content_type == "application/json" else text
            return response.status, body, dict(response.headers)

    async def discover(self, fields: str, handle: str = HANDLE, **kw: str) -> tuple[int, Any]:
        query = f"business_discovery.username({handle}){{{fields}}}"
        status, body, _ = await self.get(f"/instagram/v25.0/{ME}", fields=query, **kw)
        return status, body


async def start(app: web.Application) -> tuple[TestServer, aiohttp.ClientSession]:
    server = TestServer(app)
    await server.start_server()
    return server, aiohttp.ClientSession()


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    clock = SimClock(frozen=NOW)
    app = create_simulator(seed=7, clock=clock)
    server, session = await start(app)
    yield Sim(server, session, app[FAULTS], clock)
    await session.close()
    await server.close()


async def test_only_requested_profile_fields_with_string_ids(sim: Sim) -> None:
    status, body, headers = await sim.get(
        f"/instagram/v25.0/{ME}",
        fields=f"business_discovery.username({HANDLE}){{followers_count,media_count}}",
    )
    assert status == 200
    assert body["id"] == ME
    assert set(body["business_discovery"]) == {"followers_count", "media_count", "id"}
    assert isinstance(body["business_discovery"]["id"], str)
    assert isinstance(body["business_discovery"]["followers_count"], int)
    usage = json.loads(headers["X-App-Usage"])
    assert set(usage) == {"call_count", "total_time", "total_cputime"}


async def test_media_wire_format() -> None:
    world = World(seed=7, clock=lambda: NOW)
    profile = world.profile(Platform.INSTAGRAM, HIDDEN)
    posts = {p.graph_id: p for p in world.published_posts(profile)}
    clock = SimClock(frozen=NOW)
    server, session = await start(create_simulator(seed=7, clock=clock))
    sim = Sim(server, session, Faults(), clock)
    try:
        status, body = await sim.discover(f"media.limit(100){{{MEDIA}}}", handle=HIDDEN)
    finally:
        await session.close()
        await server.close()
    assert status == 200
    media = body["business_discovery"]["media"]
    assert len(media["data"]) == len(posts)
    assert media["paging"] == {"cursors": {"before": media["paging"]["cursors"]["before"]}}
    for item in media["data"]:
        post = posts[item["id"]]
        assert isinstance(item["id"], str)
        assert ("view_count" in item) == (post.media_type == "VIDEO")
        assert ("like_count" in item) == (not post.hidden_likes)
        assert None not in item.values()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", item["timestamp"])
        kind = "reel" if item["media_product_type"] == "REELS" else "p"
        match = re.fullmatch(rf"https://www\.instagram\.com/{kind}/([\w-]+)/", item["permalink"])
        assert match is not None
        assert shortcode_to_pk(match.group(1)) == post.media_id
        assert item["media_type"] in {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
        assert not {"saved", "saves", "shares", "plays", "is_verified"} & set(item)
    assert any(p.hidden_likes for p in posts.values())


async def test_nested_cursor_paging(sim: Sim) -> None:
    seen: list[str] = []
    edge = "media.limit(10)"
    while True:
        status, body = await sim.discover(f"{edge}{{id}}")
        assert status == 200
        media = body["business_discovery"]["media"]
        assert "next" not in media["paging"]
        assert "previous" not in media["paging"]
        seen += [item["id"] for item in media["data"]]
        after = media["paging"]["cursors"].get("after")
        if after is None:
            break
        assert len(media["data"]) == 10
        edge = f"media.after({after}).limit(10)"
    world = World(seed=7, clock=lambda: NOW)
    expected = world.published_posts(world.profile(Platform.INSTAGRAM, HANDLE))
    assert seen == [p.graph_id for p in expected]
    # `before` walks back to the previous page.
    _, body = await sim.discover("media.limit(10){id}")
    after = body["business_discovery"]["media"]["paging"]["cursors"]["after"]
    _, second = await sim.discover(f"media.after({after}).limit(10){{id}}")
    before = second["business_discovery"]["media"]["paging"]["cursors"]["before"]
    _, back = await sim.discover(f"media.before({before}).limit(10){{id}}")
    assert (
        back["business_discovery"]["media"]["data"] == body["business_discovery"]["media"]["data"]
    )


async def test_media_defaults_and_bad_requests(sim: Sim) -> None:
    status, body = await sim.discover("media")
    data = body["business_discovery"]["media"]["data"]
    assert status == 200
    assert len(data) == 25
    assert all(set(d) == {"id"} for d in data)
    for fields in (
        "media.limit(101){id}",
        "media{saves}",
        "is_verified",
        "media{id",
        "media.after(zz){id}",
    ):
        status, body = await sim.discover(fields)
        assert (status, body["error"]["code"]) == (400, 100), fields


@pytest.mark.parametrize(
    ("handle", "code", "subcode"),
    [("missing_one", 110, 2207013), ("private_one", 110, 2207013), ("restricted_one", 10, None)],
)
async def test_unreachable_profiles(sim: Sim, handle: str, code: int, subcode: int | None) -> None:
    status, body, headers = await sim.get(
        f"/instagram/v25.0/{ME}", fields=f"business_discovery.username({handle}){{id}}"
    )
    assert status == 400
    assert "X-App-Usage" in headers
    error = body["error"]
    assert (error["code"], error.get("error_subcode")) == (code, subcode)
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]


async def test_tokens(sim: Sim) -> None:
    query = f"business_discovery.username({HANDLE}){{id}}"
    status, body, _ = await sim.get(f"/instagram/v25.0/{ME}", token="wrong", fields=query)
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 190, 463)
    url = sim.server.make_url(f"/instagram/v25.0/{ME}")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with sim.session.get(url, params={"fields": query}, headers=headers) as response:
        assert response.status == 200


async def test_faults(sim: Sim) -> None:
    sim.faults.rate_limit = 1.0
    status, body, headers = await sim.get(f"/instagram/v25.0/{ME}", fields="id")
    assert status == 400
    assert body["error"]["code"] == 4
    assert body["error"]["is_transient"] is True
    assert json.loads(headers["X-App-Usage"])["call_count"] == 100
    sim.faults.rate_limit, sim.faults.server_error = 0.0, 1.0
    status, body, _ = await sim.get(f"/instagram/v25.0/{ME}", fields="id")
    assert status == 500
    assert body["error"]["code"] == 2
    sim.faults.server_error, sim.faults.malformed = 0.0, 1.0
    status, body, headers = await sim.get(f"/instagram/v25.0/{ME}", fields="id")
    assert (status, body) == (200, "<html>oops")
    assert "X-App-Usage" in headers


async def test_usage_budget_and_buc_limits() -> None:
    world, faults = World(seed=7, clock=lambda: NOW), Faults(rate_limit=1.0)
    app = web.Application()
    app.add_subapp("/instagram", instagram.create_app(world, faults, rate_limit_code=80002))
    app.add_subapp("/budget", instagram.create_app(world, Faults(), hourly_budget=2))
    server, session = await start(app)
    sim = Sim(server, session, faults, SimClock(frozen=NOW))
    try:
        status, body, headers = await sim.get(f"/instagram/v25.0/{ME}", fields="id")
        assert body["error"]["code"] == 80002
        buc = json.loads(headers["X-Business-Use-Case-Usage"])
        assert next(iter(buc.values()))[0]["estimated_time_to_regain_access"] == 19
        status, _, headers = await sim.get(f"/budget/v25.0/{ME}", fields="id")
        assert status == 200
        assert json.loads(headers["X-App-Usage"])["call_count"] == 50
        status, body, headers = await sim.get(f"/budget/v25.0/{ME}", fields="id")
        assert body["error"]["code"] == 4
        assert json.loads(headers["X-App-Usage"])["call_count"] == 100
    finally:
        await session.close()
        await server.close()


async def test_insights_only_for_owner_of_connected_profile(sim: Sim) -> None:
    connected = find_handle(lambda p, w: p.connected and p.state is ProfileState.ACTIVE)
    other = find_handle(lambda p, w: not p.connected and p.state is ProfileState.ACTIVE)
    world = World(seed=7, clock=lambda: NOW)
    ids = {}
    for handle in (connected, other):
        _, body = await sim.discover("media.limit(1){id}", handle=handle)
        ids[handle] = body["business_discovery"]["media"]["data"][0]["id"]
    path = f"/instagram/v25.0/{ids[connected]}/insights"
    status, body, _ = await sim.get(path, token=f"owner-{connected}", metric="saved,shares")
    assert status == 200
    post = world.published_posts(world.profile(Platform.INSTAGRAM, connected))[0]
    counters = world.counters(post)
    values = {d["name"]: d["values"][0]["value"] for d in body["data"]}
    assert values == {"saved": counters.saves, "shares": counters.shares}
    for token, code in ((TOKEN, 10), (f"owner-{other}", 10), ("garbage", 190)):
        status, body, _ = await sim.get(path, token=token, metric="saved")
        assert (status, body["error"]["code"]) == (400, code)
    other_path = f"/instagram/v25.0/{ids[other]}/insights"
    _, body, _ = await sim.get(other_path, token=f"owner-{other}", metric="saved")
    assert body["error"]["code"] == 10
    _, body, _ = await sim.get(
        "/instagram/v25.0/123/insights", token=f"owner-{other}", metric="saved"
    )
    assert body["error"]["code"] == 100


async def test_same_seed_same_bodies() -> None:
    texts = []
    for _ in range(2):
        server, session = await start(create_simulator(seed=11, clock=SimClock(frozen=NOW)))
        query = (
            f"business_discovery.username({HANDLE}){{followers_count,media.limit(5){{{MEDIA}}}}}"
        )
        url = server.make_url(f"/instagram/v25.0/{ME}")
        try:
            for params in ({"fields": query}, {"fields": "nope"}):
                async with session.get(url, params={**params, "access_token": TOKEN}) as response:
                    texts.append(await response.text())
        finally:
            await session.close()
            await server.close()
    assert texts[:2] == texts[2:]


async def test_counters_grow_with_the_clock(sim: Sim) -> None:
    fields = "media.limit(20){id,view_count,like_count}"
    _, before = await sim.discover(fields)
    sim.clock.advance(timedelta(days=3))
    _, after = await sim.discover(fields)

    def counts(body: Any, key: str) -> dict[str, int]:
        data = body["business_discovery"]["media"]["data"]
        return {item["id"]: item[key] for item in data if key in item}

    for key in ("view_count", "like_count"):
        old, new = counts(before, key), counts(after, key)
        common = old.keys() & new.keys()
        assert len(common) >= 10
        assert sum(new[i] for i in common) > sum(old[i] for i in common)
