"""Refreshes, imports and operator changes move the data version: reads after them execute."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from app import models
from app.identifiers import Platform
from app.importer import import_file
from app.importer.rows import VIDEO_COUNTS
from app.metrics.windows import today_utc
from app.models import Availability
from app.services import rate_limit
from app.services.accounts import track_account
from app.services.refresh import PlatformClients, refresh_profile
from app.services.tenancy import Tenant
from app.services.video_refresh import refresh_video
from app.services.videos import add_video
from app.settings import Settings
from app.simulator.app import WORLD
from tests.conftest import Org
from tests.graphql.result_cache_support import fresh, warm
from tests.services.test_refresh import NOW, clients, simulator  # noqa: F401  (fixtures)

ACCOUNTS = """
{
  organization { metrics(window: {preset: D7}) { followers views } rateLimitPolicy { points } }
  accounts(first: 20, orderBy: {field: ADDED_AT, direction: ASC}) {
    nodes { handle availability lastScrapeTime followers videos { totalCount } }
  }
  individualVideos(first: 20) { nodes { availability lastScrapeTime views } }
}
"""
TT = Platform.TIKTOK


async def _track(org: Org, handle: str) -> models.Account:
    outcome = await track_account(Tenant(org.id), platform=TT, handle=handle, url=None)
    assert outcome.value is not None
    return outcome.value


def _account(data: Any, index: int = 0) -> dict[str, Any]:
    node: dict[str, Any] = data["accounts"]["nodes"][index]
    return node


async def test_a_profile_refresh_moves_every_tracking_organizations_version(
    make_org: Any,
    clients: PlatformClients,  # noqa: F811
) -> None:
    first, second = await make_org(), await make_org()
    handle = f"cache.shared.{first.id}"
    for org in (first, second):
        await _track(org, handle)
        assert _account(await warm(org, ACCOUNTS))["lastScrapeTime"] is None
    await refresh_profile(TT, handle, clients, now=NOW)
    for org in (first, second):  # one fetch, fanned out: both organizations moved
        refreshed = _account(await fresh(org, ACCOUNTS))
        assert refreshed["availability"] == "ACTIVE"
        assert refreshed["followers"] is not None
        assert refreshed["videos"]["totalCount"] > 0
    later = NOW + timedelta(hours=1)
    await refresh_profile(TT, handle, clients, now=later)  # the same counters, a later time
    for org in (first, second):
        assert _account(await fresh(org, ACCOUNTS))["lastScrapeTime"] == later.isoformat()


async def test_a_refresh_that_finds_nothing_moves_the_version(
    org: Org,
    clients: PlatformClients,  # noqa: F811
) -> None:
    await _track(org, f"missing.cache.{org.id}")
    assert _account(await warm(org, ACCOUNTS))["availability"] == "PENDING"
    await refresh_profile(TT, f"missing.cache.{org.id}", clients, now=NOW)
    gone = _account(await fresh(org, ACCOUNTS))
    assert (gone["availability"], gone["lastScrapeTime"] is not None) == ("NOT_FOUND", True)


async def test_an_individual_video_refresh_moves_the_version(
    org: Org,
    clients: PlatformClients,  # noqa: F811
    simulator: TestServer,  # noqa: F811
) -> None:
    world = simulator.app[WORLD]
    post = world.published_posts(world.profile(TT, f"author.{org.id}"), NOW)[2]
    added = await add_video(
        Tenant(org.id), url=None, shortcode=None, video_id=str(post.media_id), platform=TT
    )
    assert added.value is not None
    video = (await warm(org, ACCOUNTS))["individualVideos"]["nodes"][0]
    assert (video["availability"], video["views"]) == ("PENDING", None)
    result = await refresh_video(TT, str(post.media_id), clients, now=NOW)
    assert result.availability is Availability.ACTIVE
    video = (await fresh(org, ACCOUNTS))["individualVideos"]["nodes"][0]
    assert (video["availability"], video["views"]) == ("ACTIVE", world.counters(post, NOW).views)


async def test_adopting_videos_when_their_author_is_tracked_moves_the_version(
    org: Org,
    simulator: TestServer,  # noqa: F811
) -> None:
    world = simulator.app[WORLD]
    handle = f"adopted.{org.id}"
    post = world.published_posts(world.profile(TT, handle), NOW)[0]
    url = f"https://www.tiktok.com/@{handle}/video/{post.media_id}"
    added = await add_video(Tenant(org.id), url=url, shortcode=None, video_id=None, platform=None)
    assert added.value is not None
    await warm(org, ACCOUNTS)
    await _track(org, handle)
    assert _account(await fresh(org, ACCOUNTS))["videos"]["totalCount"] == 1


async def test_an_import_moves_the_version(org: Org, tmp_path: Path) -> None:
    before = await warm(org, ACCOUNTS)
    assert before["organization"]["metrics"]["followers"] is None
    header = "platform,kind,handle,video_id,published_at,date,followers," + ",".join(VIDEO_COUNTS)
    yesterday = (today_utc() - timedelta(days=1)).isoformat()
    path = tmp_path / "history.csv"
    path.write_text(
        f"{header}\ntiktok,account,cache.imported,,,{yesterday},500{',' * len(VIDEO_COUNTS)}\n",
        encoding="utf-8",
    )
    report = await import_file(org.id, path)
    assert report.observations == 1
    after = await fresh(org, ACCOUNTS)
    assert after["organization"]["metrics"]["followers"] == 500
    assert _account(after)["handle"] == "cache.imported"


async def test_an_operator_limit_change_moves_the_version(org: Org, settings: Settings) -> None:
    await warm(org, ACCOUNTS)
    row = await models.Organization.get(id=org.id)
    await rate_limit.set_operator_limits(row, settings, ceiling=4000, points=3000)
    assert (await fresh(org, ACCOUNTS))["organization"]["rateLimitPolicy"]["points"] == 3000
