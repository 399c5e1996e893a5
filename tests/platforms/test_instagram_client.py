"""`InstagramClient` against the real simulator over HTTP: mapping, paging, every error path."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from app.identifiers import Platform
from app.platforms.errors import (
    AuthExpired,
    ProfileNotFound,
    ProfileRestricted,
    RateLimited,
    UpstreamError,
)
from app.platforms.http import create_session
from app.platforms.instagram import InstagramClient
from app.settings import InstagramSettings
from app.simulator import instagram
from app.simulator.app import FAULTS, create_simulator
from app.simulator.clock import SimClock
from app.simulator.faults import Faults
from app.simulator.world import ProfileState, SimProfile, World

NOW = datetime(2027, 1, 15, tzinfo=UTC)
WORLD = World(seed=7, clock=lambda: NOW)


def find_profile(active: bool = True, connected: bool | None = None) -> SimProfile:
    """The first `creatorN` profile in the wanted state."""
    for index in range(500):
        profile = WORLD.profile(Platform.INSTAGRAM, f"creator{index}")
        if (profile.state is ProfileState.ACTIVE) == active and connected in (
            None,
            profile.connected,
        ):
            return profile
    raise AssertionError("no such profile")


ACTIVE = find_profile()


@dataclass
class Rig:
    """A simulator, its faults and a client talking to it."""

    client: InstagramClient
    faults: Faults
    server: TestServer


def settings(server: TestServer, token: str = "simulator-token") -> InstagramSettings:
    return InstagramSettings(
        base_url=str(server.make_url("/instagram")), access_token=SecretStr(token)
    )


@asynccontextmanager
async def make_rig(
    app: web.Application,
    faults: Faults,
    client_timeout: float = 5.0,
    token: str = "simulator-token",
    **kw: Any,
) -> AsyncIterator[Rig]:
    """Serve `app`, and close server and session whatever the test does."""
    server = TestServer(app)
    await server.start_server()
    try:
        async with create_session(client_timeout) as session:
            client = InstagramClient(session, settings(server, token), **kw)
            yield Rig(client, faults, server)
    finally:
        await server.close()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    app = create_simulator(seed=7, clock=SimClock(frozen=NOW))
    async with make_rig(app, app[FAULTS], page_size=7) as value:
        yield value


async def test_profile_mapping(rig: Rig) -> None:
    profile = await rig.client.get_profile(ACTIVE.handle.upper())
    assert profile.platform is Platform.INSTAGRAM
    assert profile.handle == ACTIVE.handle
    assert profile.platform_user_id == ACTIVE.user_id
    assert profile.display_name == ACTIVE.display_name
    assert profile.followers == WORLD.followers(ACTIVE)
    assert profile.following == ACTIVE.following
    assert profile.posts_count == len(WORLD.published_posts(ACTIVE))
    assert profile.is_verified is None
    assert rig.client.last_usage is not None
    assert "call_count" in rig.client.last_usage


async def test_media_mapping_across_pages(rig: Rig) -> None:
    expected = WORLD.published_posts(ACTIVE)
    posts = await rig.client.list_media(ACTIVE.handle, limit=500)
    assert len(posts) == len(expected) > 7
    for post, sim in zip(posts, expected, strict=True):
        counters = WORLD.counters(sim)
        assert post.media_id == str(sim.media_id)  # the pk, from the permalink's shortcode
        assert post.shortcode == sim.shortcode
        assert post.graph_media_id == sim.graph_id
        assert post.url.endswith(f"/{sim.shortcode}/")
        assert post.published_at == sim.published_at.replace(microsecond=0)
        assert post.media_type == sim.media_type
        assert (post.views, post.likes, post.comments) == (
            counters.views,
            counters.likes,
            counters.comments,
        )
        assert (post.plays, post.saves, post.shares) == (None, None, None)
    assert any(p.views is None for p in posts)
    assert any(p.views is not None for p in posts)


async def test_limit_and_since(rig: Rig) -> None:
    expected = WORLD.published_posts(ACTIVE)
    assert [p.media_id for p in await rig.client.list_media(ACTIVE.handle, limit=10)] == [
        str(p.media_id) for p in expected[:10]
    ]
    since = expected[11].published_at.replace(microsecond=0)
    recent = await rig.client.list_media(ACTIVE.handle, since=since)
    assert [p.media_id for p in recent] == [str(p.media_id) for p in expected[:12]]


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("missing_person", ProfileNotFound),
        ("private_person", ProfileNotFound),
        ("restricted_person", ProfileRestricted),
        ("not a handle!", ProfileNotFound),
    ],
)
async def test_unreachable_profiles(rig: Rig, handle: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        await rig.client.get_profile(handle)


async def test_bad_token() -> None:
    app = create_simulator(seed=7, clock=SimClock(frozen=NOW))
    async with make_rig(app, app[FAULTS], token="expired") as rig:
        with pytest.raises(AuthExpired):
            await rig.client.get_profile(ACTIVE.handle)


async def test_rate_limit_backs_off_by_app_usage(rig: Rig) -> None:
    rig.faults.rate_limit = 1.0
    with pytest.raises(RateLimited) as caught:
        await rig.client.list_media(ACTIVE.handle)
    assert caught.value.retry_after == 300.0  # a rolling hour at 100 % takes minutes to clear
    assert rig.client.last_usage is not None
    assert rig.client.last_usage["call_count"] == 100


async def test_usage_near_the_limit_pauses_calls_before_the_platform_refuses_them() -> None:
    faults = Faults()
    app, simulated = web.Application(), instagram.create_app(WORLD, faults, hourly_budget=20)
    app.add_subapp("/instagram", simulated)
    async with make_rig(app, faults) as rig:
        for _ in range(19):  # 19 of 20 calls: X-App-Usage says 95 %
            await rig.client.get_profile(ACTIVE.handle)
        assert rig.client.last_usage is not None
        assert rig.client.last_usage["call_count"] == 95
        sent = simulated[instagram.STATE].calls
        before = sum(sent.values())
        with pytest.raises(RateLimited) as caught:
            await rig.client.get_profile(ACTIVE.handle)
        assert 299 < (caught.value.retry_after or 0) <= 300
        assert sum(sent.values()) == before  # refused here, not sent


async def test_retry_after_header_wins() -> None:
    async def throttled(request: web.Request) -> web.Response:
        body = {"error": {"message": "(#17) User request limit reached", "code": 17}}
        return web.json_response(body, status=400, headers={"Retry-After": "42"})

    app = web.Application()
    app.router.add_get("/instagram/{version}/{node}", throttled)
    async with make_rig(app, Faults()) as rig:
        with pytest.raises(RateLimited) as caught:
            await rig.client.get_profile(ACTIVE.handle)
        assert caught.value.retry_after == 42


async def test_rate_limit_honours_business_use_case_header() -> None:
    faults = Faults(rate_limit=1.0)
    app = web.Application()
    app.add_subapp("/instagram", instagram.create_app(WORLD, faults, rate_limit_code=80002))
    async with make_rig(app, faults) as rig:
        with pytest.raises(RateLimited) as caught:
            await rig.client.get_profile(ACTIVE.handle)
        assert caught.value.retry_after == 19 * 60


@pytest.mark.parametrize("fault", ["server_error", "malformed"])
async def test_transient_upstream_failures(rig: Rig, fault: str) -> None:
    setattr(rig.faults, fault, 1.0)
    with pytest.raises(UpstreamError) as caught:
        await rig.client.get_profile(ACTIVE.handle)
    assert caught.value.transient is True


async def test_timeout_is_transient() -> None:
    faults = Faults(timeout=1.0, timeout_seconds=1.0)
    app = web.Application()
    app.add_subapp("/instagram", instagram.create_app(WORLD, faults))
    async with make_rig(app, faults, client_timeout=0.2) as rig:
        with pytest.raises(UpstreamError) as caught:
            await rig.client.get_profile(ACTIVE.handle)
        assert caught.value.transient is True


async def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with create_session(1) as session:
        client = InstagramClient(
            session, InstagramSettings(base_url=f"http://127.0.0.1:{port}/instagram")
        )
        with pytest.raises(UpstreamError) as caught:
            await client.get_profile("anyone")
    assert caught.value.transient is True


async def test_insights_for_connected_owner_only(rig: Rig) -> None:
    connected, other = find_profile(connected=True), find_profile(connected=False)
    [post] = await rig.client.list_media(connected.handle, limit=1)
    assert post.graph_media_id is not None
    counters = WORLD.counters(WORLD.published_posts(connected)[0])
    insights = await rig.client.media_insights(post.graph_media_id, f"owner-{connected.handle}")
    assert insights == (counters.saves, counters.shares)
    [post] = await rig.client.list_media(other.handle, limit=1)
    assert post.graph_media_id is not None
    with pytest.raises(UpstreamError) as caught:  # (#10) no permission: stop, do not retry
        await rig.client.media_insights(post.graph_media_id, f"owner-{other.handle}")
    assert caught.value.transient is False
    with pytest.raises(UpstreamError) as caught:  # (#100) unknown object
        await rig.client.media_insights("123", f"owner-{other.handle}")
    assert caught.value.transient is False
    with pytest.raises(AuthExpired):
        await rig.client.media_insights(post.graph_media_id, "garbage")
