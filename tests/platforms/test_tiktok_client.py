"""TikTokClient against the simulator over real HTTP: mapping, paging, tokens, every error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from app.identifiers import Platform
from app.platforms.errors import (
    AuthExpired,
    ProfileNotFound,
    ProfilePrivate,
    RateLimited,
    UpstreamError,
)
from app.platforms.http import create_session
from app.platforms.tiktok import TikTokClient, seconds_to_utc_midnight
from app.settings import TikTokSettings
from app.simulator.app import create_simulator
from app.simulator.clock import SimClock
from app.simulator.tiktok import STATE, TikTokState
from app.simulator.world import World

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def tiktok_state(root: web.Application) -> TikTokState:
    """The TikTok sub-application's state, found through the router's public resource info."""
    for resource in root.router.resources():
        app = resource.get_info().get("app")
        if isinstance(app, web.Application) and STATE in app:
            return app[STATE]
    raise AssertionError("TikTok is not mounted")


@dataclass
class Setup:
    """A running simulator and a client pointed at it, sharing one frozen clock."""

    state: TikTokState
    clock: SimClock
    client: TikTokClient

    @property
    def world(self) -> World:
        return self.state.world


@asynccontextmanager
async def running(
    *,
    secret: str = "simulator-secret",
    request_timeout: float = 5,
    page_size: int = 100,
    **state: Any,
) -> AsyncIterator[Setup]:
    """Simulator plus client; `state` overrides TikTokState fields."""
    clock = SimClock(frozen=NOW)
    root = create_simulator(7, clock=clock)
    sim_state = tiktok_state(root)
    for name, value in state.items():
        setattr(sim_state, name, value)
    async with TestServer(root) as server, create_session(request_timeout) as session:
        settings = TikTokSettings(
            base_url=str(server.make_url("/tiktok")), client_secret=SecretStr(secret)
        )
        client = TikTokClient(session, settings, clock=clock, page_size=page_size)
        yield Setup(sim_state, clock, client)


async def test_profile_mapping() -> None:
    async with running() as s:
        profile = await s.client.get_profile("ana.b")
        sim = s.world.profile(Platform.TIKTOK, "ana.b")
        assert profile.platform is Platform.TIKTOK
        assert profile.platform_user_id is None
        assert profile.handle == "ana.b"
        assert profile.display_name == sim.display_name
        assert profile.biography == sim.biography
        assert profile.is_verified == sim.is_verified
        assert profile.followers == s.world.followers(sim)
        assert profile.following == sim.following
        assert profile.posts_count == len(s.world.published_posts(sim))


async def test_videos_over_several_windows_and_pages() -> None:
    async with running(page_size=2) as s:
        since = NOW - timedelta(days=100)
        posts = await s.client.list_videos("ana", since=since, limit=100)
        sim = s.world.profile(Platform.TIKTOK, "ana")
        expected = [p for p in s.world.published_posts(sim) if p.published_at >= since]
        assert len(expected) > 6  # more than one page per window, several windows
        assert [p.media_id for p in posts] == [str(p.media_id) for p in expected]
        first, sim_first = posts[0], expected[0]
        assert first.url == f"https://www.tiktok.com/@ana/video/{sim_first.media_id}"
        assert int(first.media_id) > 2**53
        assert first.published_at == sim_first.published_at
        assert first.author_handle == "ana"
        assert first.caption == sim_first.caption
        assert first.saves is None
        for post, sim_post in zip(posts, expected, strict=True):
            counters = s.world.counters(sim_post)
            assert post.views in (counters.views, None)
            assert post.plays == post.views
            assert post.likes in (counters.likes, None)
            assert post.comments in (counters.comments, None)
        assert s.state.usage[NOW.date()] >= len(expected) / 2  # paged, several windows

        newest = await s.client.list_videos("ana", since=since, limit=3)
        assert [p.media_id for p in newest] == [p.media_id for p in posts[:3]]
        until = expected[2].published_at
        older = await s.client.list_videos("ana", since=since, until=until, limit=100)
        assert [p.media_id for p in older] == [p.media_id for p in posts[2:]]


async def test_token_renewed_before_expiry_and_after_refusal() -> None:
    async with running() as s:
        await s.client.get_profile("ana")
        await s.client.get_profile("ana")
        assert s.state.token_requests == 1
        s.clock.advance(timedelta(seconds=7200 - 60))  # inside the renewal margin
        await s.client.get_profile("ana")
        assert s.state.token_requests == 2
        s.state.forget_tokens()
        await s.client.get_profile("ana")  # 401 access_token_invalid, renewed once, retried
        assert s.state.token_requests == 3


async def test_auth_errors() -> None:
    async with running(token_ttl=0) as s:  # every token is already expired when used
        with pytest.raises(AuthExpired):
            await s.client.get_profile("ana")
        assert s.state.token_requests == 2
    async with running(secret="wrong") as s:
        with pytest.raises(AuthExpired):
            await s.client.get_profile("ana")


async def test_profile_errors() -> None:
    async with running() as s:
        with pytest.raises(ProfileNotFound):
            await s.client.get_profile("missing.person")
        with pytest.raises(ProfilePrivate):
            await s.client.get_profile("private.person")
        with pytest.raises(ProfilePrivate):
            await s.client.get_profile("restricted.person")
        assert await s.client.list_videos("private.person", since=NOW - timedelta(days=10)) == []


async def test_quota_exhausted_waits_until_utc_midnight() -> None:
    async with running(daily_quota=1) as s:
        await s.client.get_profile("ana")
        with pytest.raises(RateLimited) as caught:
            await s.client.get_profile("ana")
        assert caught.value.retry_after == 12 * 3600
    assert seconds_to_utc_midnight(datetime(2026, 6, 1, 23, 59, 30, tzinfo=UTC)) == 30


@pytest.mark.parametrize(
    ("fault", "transient"),
    [("server_error", True), ("malformed", True), ("timeout", True), ("rate_limit", None)],
)
async def test_fault_mapping(fault: str, transient: bool | None) -> None:
    async with running(request_timeout=0.1) as s:
        s.state.faults.timeout_seconds = 0.3
        setattr(s.state.faults, fault, 1.0)
        expected = RateLimited if transient is None else UpstreamError
        with pytest.raises(expected) as caught:
            await s.client.get_profile("ana")
        if isinstance(caught.value, UpstreamError):
            assert caught.value.transient is transient
        if isinstance(caught.value, RateLimited):  # not the daily quota: back off, not midnight
            assert caught.value.retry_after is None


async def test_other_client_errors_are_permanent() -> None:
    async with running(page_size=101) as s:
        with pytest.raises(UpstreamError) as caught:
            await s.client.list_videos("ana", since=NOW - timedelta(days=10))
        assert caught.value.transient is False


async def test_expired_search_id_restarts_the_window_once() -> None:
    since = NOW - timedelta(days=30)
    async with running(page_size=1, search_id_ttl=60.0) as s:
        real_call = s.client._call
        pages = 0

        async def call(path: str, fields: str, payload: dict[str, Any]) -> dict[str, Any]:
            nonlocal pages
            data = await real_call(path, fields, payload)
            pages += 1
            if pages == 1:  # the first page's search_id dies before the second page
                s.clock.advance(timedelta(seconds=61))
            return data

        s.client._call = call  # type: ignore[method-assign]
        posts = await s.client.list_videos("ana", since=since, limit=100)
        sim = s.world.profile(Platform.TIKTOK, "ana")
        expected = [p for p in s.world.published_posts(sim) if p.published_at >= since]
        assert len(expected) >= 2
        assert [p.media_id for p in posts] == [str(p.media_id) for p in expected]
        assert len(s.state.searches) == 2  # the window was restarted once, with a new search
    async with running(page_size=1, search_id_ttl=-1.0) as s:  # always expired: give up
        with pytest.raises(UpstreamError, match="Search Id"):
            await s.client.list_videos("ana", since=since)


async def test_transport_error_is_transient() -> None:
    settings = TikTokSettings(base_url="http://127.0.0.1:9/tiktok")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        with pytest.raises(UpstreamError) as caught:
            await TikTokClient(session, settings).get_profile("ana")
    assert caught.value.transient is True


async def test_one_video_by_id_with_its_author() -> None:
    async with running() as s:
        sim = s.world.published_posts(s.world.profile(Platform.TIKTOK, "ana"))[4]
        post = await s.client.get_video(str(sim.media_id))
        assert post is not None
        assert post.author_handle == "ana"
        assert post.url == f"https://www.tiktok.com/@ana/video/{sim.media_id}"
        assert post.published_at == sim.published_at
        assert post.views == s.world.counters(sim).views
        unknown = (int(NOW.timestamp()) - 3600) << 32 | 99
        assert await s.client.get_video(str(unknown)) is None
        with pytest.raises(UpstreamError) as caught:  # an id that dates from 1970
            await s.client.get_video("12345")
        assert caught.value.transient is False


async def test_a_retry_after_header_is_honoured() -> None:
    async def throttled(request: web.Request) -> web.Response:
        body = {"data": {}, "error": {"code": "rate_limit_exceeded", "message": "slow down"}}
        return web.json_response(body, status=429, headers={"Retry-After": "7"})

    app = web.Application()
    app.router.add_post("/tiktok/v2/oauth/token/", throttled)
    async with TestServer(app) as server, create_session(5) as session:
        client = TikTokClient(session, TikTokSettings(base_url=str(server.make_url("/tiktok"))))
        with pytest.raises(RateLimited) as caught:
            await client.get_profile("ana")
        assert caught.value.retry_after == 7
