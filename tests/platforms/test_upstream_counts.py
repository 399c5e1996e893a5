"""Counts from a platform that are not counts we can trust read as unknown, and the refresh lands.

A small TikTok Research API stand-in (aiohttp, over real HTTP) answers with a follower count over
the maximum, a string and a negative view count; the real client and the real refresh read it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from app import models
from app.counts import MAX_COUNT
from app.identifiers import Platform
from app.models import Availability
from app.platforms.http import create_session
from app.platforms.instagram.client import InstagramClient
from app.platforms.tiktok.client import TikTokClient
from app.platforms.values import upstream_count
from app.services.accounts import track_account
from app.services.refresh import PlatformClients, refresh_profile
from app.services.tenancy import Tenant
from app.settings import InstagramSettings, TikTokSettings
from tests.conftest import Org

NOW = datetime.now(UTC).replace(microsecond=0)
VIDEO_ID = 7_300_000_000_000_000_001


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (12, 12),
        (12.0, 12),
        (MAX_COUNT, MAX_COUNT),
        (None, None),
        (MAX_COUNT + 1, None),
        (2**63 - 1, None),
        (-1, None),
        (12.5, None),
        ("12", None),
        (True, None),
        (float("nan"), None),
        ([12], None),
    ],
)
def test_an_upstream_count_is_an_integer_within_the_bounds_or_unknown(
    value: object, expected: int | None
) -> None:
    assert upstream_count(Platform.TIKTOK, "view_count", value) == expected


def _tiktok_stand_in() -> web.Application:
    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "expires_in": 7200})

    async def user_info(request: web.Request) -> web.Response:
        data = {"display_name": "Big", "follower_count": 2**63 - 1, "following_count": 5}
        return web.json_response({"data": data, "error": {"code": "ok"}})

    async def video_query(request: web.Request) -> web.Response:
        video: dict[str, Any] = {
            "id": VIDEO_ID,
            "create_time": int((NOW - timedelta(days=2)).timestamp()),
            "username": "big.numbers",
            "view_count": "1000",
            "like_count": 40,
            "comment_count": -3,
            "share_count": MAX_COUNT + 1,
        }
        data = {"videos": [video], "has_more": False, "cursor": 0, "search_id": "s"}
        return web.json_response({"data": data, "error": {"code": "ok"}})

    app = web.Application()
    app.router.add_post("/v2/oauth/token/", token)
    app.router.add_post("/v2/research/user/info/", user_info)
    app.router.add_post("/v2/research/video/query/", video_query)
    return app


@pytest.fixture
async def clients() -> AsyncIterator[PlatformClients]:
    server = TestServer(_tiktok_stand_in())
    async with server, create_session(5.0) as session:
        yield PlatformClients(
            {
                Platform.INSTAGRAM: InstagramClient(session, InstagramSettings()),
                Platform.TIKTOK: TikTokClient(
                    session,
                    TikTokSettings(base_url=str(server.make_url("")), client_secret=SecretStr("s")),
                    clock=lambda: NOW,
                ),
            }
        )


async def test_over_limit_and_malformed_upstream_counts_are_recorded_as_unknown(
    org: Org, clients: PlatformClients
) -> None:
    tracked = await track_account(
        Tenant(org.id), platform=Platform.TIKTOK, handle="big.numbers", url=None
    )
    assert tracked.value is not None

    result = await refresh_profile(Platform.TIKTOK, "big.numbers", clients, now=NOW)

    assert (result.availability, result.posts, result.failed) == (Availability.ACTIVE, 1, 0)
    account = await models.Account.get(id=tracked.value.id)
    assert (account.followers, account.following) == (None, 5)
    video = await models.Video.get(organization_id=org.id, platform_video_id=str(VIDEO_ID))
    assert (video.views, video.likes, video.comments, video.shares) == (None, 40, None, None)
    # and the organization's metrics answer
    window = {"start": (NOW - timedelta(days=6)).date().isoformat(), "end": NOW.date().isoformat()}
    query = "query($w: DateRangeInput!) { organization { metrics(window: {range: $w}) { likes } } }"
    data = (await org.gql(query, {"w": window})).data
    assert data == {"organization": {"metrics": {"likes": 40}}}
