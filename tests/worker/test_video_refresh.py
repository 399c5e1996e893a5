"""Individual videos are refreshed by the worker, fetched once whatever the organizations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis

from app import models
from app.identifiers import Platform, pk_to_shortcode
from app.platforms.tiktok.client import VIDEO_FIELDS
from app.settings import Settings
from app.simulator import instagram
from app.simulator.app import WORLD
from app.simulator.tiktok_query import render_video
from app.simulator.world import SimPost, World
from tests.conftest import Org
from tests.platforms.test_tiktok_client import tiktok_state
from tests.worker.test_jobs import redis, run_workers, simulator  # noqa: F401  (fixtures)

ADD = (
    "mutation($url: String, $shortcode: String, $author: String) {"
    " addVideo(url: $url, shortcode: $shortcode, authorHandle: $author) {"
    " video { id } created userErrors { field code message } } }"
)
STATE = (
    "query($id: ID!) { node(id: $id) { ... on IndividualVideo {"
    " availability lastError lastScrapeTime nextScrapeTime url authorHandle"
    " views likes comments shares savedCount } } }"
)
REFRESH = "mutation($id: ID!) { requestRefresh(id: $id) { queued userErrors { code } } }"


def _post(world: World, platform: Platform, handle: str, index: int = 2) -> SimPost:
    return world.published_posts(world.profile(platform, handle))[index]


def instagram_discoveries(root: web.Application) -> Counter[str]:
    """Business Discovery calls per username, as the simulated Instagram counted them."""
    for resource in root.router.resources():
        app = resource.get_info().get("app")
        if isinstance(app, web.Application) and instagram.STATE in app:
            return app[instagram.STATE].discoveries
    raise AssertionError("Instagram is not mounted")


async def _add(org: Org, **variables: str) -> str:
    result = await org.gql(ADD, variables)
    payload = result.data["addVideo"]
    assert payload["userErrors"] == [], payload
    video_id: str = payload["video"]["id"]
    return video_id


async def _state(org: Org, video_id: str) -> dict[str, object]:
    node: dict[str, object] = (await org.gql(STATE, {"id": video_id})).data["node"]
    return node


async def test_a_tiktok_video_added_by_embed_url_is_refreshed_once_for_two_organizations(
    make_org: Callable[[], Awaitable[Org]],
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    first, second = await make_org(), await make_org()
    world = simulator.app[WORLD]
    handle = f"clips.{first.id}"
    post = _post(world, Platform.TIKTOK, handle)
    embed = f"https://www.tiktok.com/embed/v2/{post.media_id}"
    ids = [await _add(first, url=embed), await _add(second, url=embed)]
    lookups = tiktok_state(simulator.app).video_lookups
    await run_workers(settings, simulator, redis, workers=2)
    assert lookups[post.media_id] == 1  # one query served both organizations
    # What the simulated platform answered to the fields the client asks for: it leaves one of
    # the counters out of some videos (which one depends on the fields asked).
    expected = render_video(world, post, VIDEO_FIELDS.split(",")).get("view_count")
    for org, video_id in zip((first, second), ids, strict=True):
        state = await _state(org, video_id)
        assert state["availability"] == "ACTIVE"
        assert state["authorHandle"] == handle  # learned from the platform
        assert state["url"] == f"https://www.tiktok.com/@{handle}/video/{post.media_id}"
        assert state["views"] == expected
        assert state["savedCount"] is None  # TikTok: never public
        row = await models.Video.get(platform_video_id=str(post.media_id), organization_id=org.id)
        assert row.published_at == post.published_at
        assert row.last_scrape_at is not None
        assert row.next_scrape_at is not None
        assert row.next_scrape_at - row.last_scrape_at == timedelta(hours=24)
        assert await models.VideoSnapshot.filter(video_id=row.id).count() == 1
    await run_workers(settings, simulator, redis)
    assert lookups[post.media_id] == 1  # nothing was due any more


async def test_an_instagram_post_is_found_through_its_author(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    world = simulator.app[WORLD]
    handle = f"author.{org.id}"
    post = _post(world, Platform.INSTAGRAM, handle)
    video_id = await _add(org, shortcode=pk_to_shortcode(post.media_id), author=handle)
    await run_workers(settings, simulator, redis)
    state = await _state(org, video_id)
    assert state["availability"] == "ACTIVE", state
    expected = world.counters(post)
    assert state["likes"] == expected.likes
    assert state["savedCount"] is None  # no owner insights here
    row = await models.Video.get(organization_id=org.id, is_individual=True)
    assert row.graph_media_id == post.graph_id
    assert row.caption == post.caption


async def test_an_instagram_post_without_a_known_author_ends_in_error_without_a_call(
    make_org: Callable[[], Awaitable[Org]],
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    org, tracker = await make_org(), await make_org()
    world = simulator.app[WORLD]
    handle = f"unnamed.{org.id}"
    post = _post(world, Platform.INSTAGRAM, handle, index=0)
    video_id = await _add(org, shortcode=pk_to_shortcode(post.media_id))
    await run_workers(settings, simulator, redis)
    state = await _state(org, video_id)
    assert state["availability"] == "ERROR"
    assert "author" in str(state["lastError"])
    assert instagram_discoveries(simulator.app)[handle] == 0  # nothing to ask upstream
    # Another organization tracks the author: its feed names the author, so the post is found.
    await tracker.gql(
        "mutation($h: String!) { trackAccount(platform: INSTAGRAM, handle: $h) { created } }",
        {"h": handle},
    )
    await run_workers(settings, simulator, redis)  # the account refresh discovers the post
    await models.Video.filter(organization_id=org.id).update(next_scrape_at=datetime.now(UTC))
    await run_workers(settings, simulator, redis)
    state = await _state(org, video_id)
    assert state["availability"] == "ACTIVE", state
    assert state["lastError"] is None


async def test_a_vanished_post_is_not_found_and_a_refresh_can_be_requested(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    # A well-formed id of a video no simulated profile has published.
    missing = (int(datetime.now(UTC).timestamp()) - 86400) << 32 | 12345
    video_id = await _add(org, url=f"https://www.tiktok.com/@gone/video/{missing}")
    queued = (await org.gql(REFRESH, {"id": video_id})).data["requestRefresh"]
    assert queued == {"queued": True, "userErrors": []}
    await run_workers(settings, simulator, redis)
    state = await _state(org, video_id)
    assert state["availability"] == "NOT_FOUND"
    assert state["lastScrapeTime"] is not None
    again = (await org.gql(REFRESH, {"id": video_id})).data["requestRefresh"]
    assert [e["code"] for e in again["userErrors"]] == ["TOO_SOON"]
    foreign = await org.gql(REFRESH, {"id": "SW5kaXZpZHVhbFZpZGVvOjk5OTk5OTk5"})
    assert [e["code"] for e in foreign.data["requestRefresh"]["userErrors"]] == ["NOT_FOUND"]


async def test_author_handle_is_validated_and_must_agree_with_the_url(org: Org) -> None:
    bad = (await org.gql(ADD, {"shortcode": "CuB2TdBuVfL", "author": "no spaces!"})).data
    assert [(e["field"], e["code"]) for e in bad["addVideo"]["userErrors"]] == [
        (["authorHandle"], "INVALID_HANDLE")
    ]
    clash = await org.gql(
        ADD,
        {"url": "https://www.tiktok.com/@alice/video/7106798200794926362", "author": "bob"},
    )
    errors = clash.data["addVideo"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["authorHandle"], "AUTHOR_MISMATCH")]
    assert await models.Video.filter(organization_id=org.id).count() == 0
