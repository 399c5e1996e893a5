"""A refresh is one transaction for every organization tracking the profile, of a number of
statements that does not grow with its posts; a worker killed half-way leaves none of it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.platforms.values import Post, Profile
from app.services.accounts import track_account
from app.services.insights import OwnerInsights
from app.services.refresh_write import Answer, write_refresh
from app.services.tenancy import Tenant
from app.settings import Settings
from tests.conftest import ENGINE, Org
from tests.metrics.writes import set_based

MakeOrg = Callable[[], Awaitable[Org]]
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def answer(handle: str, posts: int, *, hours: int = 0, start: int = 0) -> Answer:
    """What a TikTok profile with `posts` recent posts answers `hours` after NOW."""
    moment = NOW + timedelta(hours=hours)
    profile = Profile(
        Platform.TIKTOK, handle, "uid-" + handle, handle.title(), followers=5000 + hours
    )
    feed = [
        Post(
            platform=Platform.TIKTOK,
            media_id=str(7_300_000_000_000_000_000 + start + i),
            url=f"https://www.tiktok.com/@{handle}/video/{7_300_000_000_000_000_000 + start + i}",
            published_at=NOW - timedelta(days=i % 20, hours=1),
            views=1000 * (i + 1) + hours,
            plays=1000 * (i + 1) + hours,
            likes=100 + i,
            comments=10 + i,
            shares=i,
        )
        for i in range(posts)
    ]
    return Answer(profile, feed, moment, OwnerInsights())


async def tracked(orgs: list[Org], handle: str) -> list[models.Account]:
    """The accounts of `handle` in each organization, as a refresh loads them."""
    for org in orgs:
        outcome = await track_account(
            Tenant(org.id), platform=Platform.TIKTOK, handle=handle, url=None
        )
        assert outcome.value is not None
    return await models.Account.filter(platform=Platform.TIKTOK, handle=handle).select_related(
        "organization"
    )


async def _statements(make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch, posts: int) -> list[int]:
    orgs = [await make_org(), await make_org()]
    handle = f"counted{posts}.{orgs[0].id}"
    accounts = await tracked(orgs, handle)
    counts = []
    for hours in (0, 25):  # the first refresh creates the posts, the next one finds them
        with set_based(monkeypatch) as statements:
            await write_refresh(accounts, answer(handle, posts, hours=hours))
        counts.append(len(statements))
        accounts = await models.Account.filter(id__in=[a.id for a in accounts]).select_related(
            "organization"
        )
    for account in accounts:
        assert await models.Video.filter(account_id=account.id).count() == posts
        assert await models.AccountSnapshot.filter(account_id=account.id).count() == 2
    return counts


async def test_a_refresh_with_5_and_with_50_new_posts_issues_the_same_statements(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    five = await _statements(make_org, monkeypatch, 5)
    fifty = await _statements(make_org, monkeypatch, 50)
    assert five == fifty
    assert max(five) <= 30, five


async def test_a_refresh_records_the_same_as_the_platform_answered_for_every_organization(
    make_org: MakeOrg,
) -> None:
    orgs = [await make_org(), await make_org()]
    handle = f"recorded.{orgs[0].id}"
    accounts = await tracked(orgs, handle)
    await write_refresh(accounts, answer(handle, 8))
    for account in accounts:
        row = await models.Account.get(id=account.id)
        assert (row.availability, row.followers, row.display_name) == (
            Availability.ACTIVE,
            5000,
            handle.title(),
        )
        assert row.last_scrape_at == NOW
        assert row.next_scrape_at == NOW + timedelta(hours=24)
        videos = await models.Video.filter(account_id=row.id).order_by("platform_video_id")
        assert [v.views for v in videos] == [1000 * (i + 1) for i in range(8)]
        assert all(v.discovered_at == NOW and v.first_scrape_at == NOW for v in videos)
        assert row.total_views == sum(1000 * (i + 1) for i in range(8))


_KILLED = """
import asyncio, sys
from tortoise import Tortoise
from app import db, models
from app.settings import Settings
from app.services.refresh_write import write_refresh
from tests.services.test_refresh_write import answer

async def main():
    await Tortoise.init(config=db.tortoise_config(Settings(database_url=sys.argv[1])))
    accounts = await models.Account.filter(handle=sys.argv[2]).select_related("organization")
    await write_refresh(accounts, answer(sys.argv[2], 12))

asyncio.run(main())
"""


async def _until_waiting(watcher: asyncpg.Connection, process: asyncio.subprocess.Process) -> None:
    """Until the process's refresh waits for a row lock on `account` (or the process ended)."""
    for _ in range(400):
        waiting = await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE account SET%'"
        )
        if waiting:
            return
        if process.returncode is not None:
            break
        await asyncio.sleep(0.05)
    if process.returncode is None:
        process.kill()
    _, errors = await process.communicate()
    pytest.fail(f"the refresh never waited for the lock: {errors.decode()[-2000:]}")


@pytest.mark.skipif(ENGINE == "sqlite", reason="SQLite has no row lock to hold a writer half-way")
async def test_a_worker_killed_half_way_through_a_refresh_leaves_nothing_of_it(
    make_org: MakeOrg, settings: Settings
) -> None:
    # given: a profile tracked by two organizations; the second account's row is locked by
    # another transaction, so the refresh waits there after writing its snapshots and posts
    orgs = [await make_org(), await make_org()]
    handle = f"killed.{orgs[0].id}"
    accounts = await tracked(orgs, handle)
    versions = {o.id: (await models.Organization.get(id=o.id)).data_version for o in orgs}
    url = settings.database_url.replace("postgres://", "postgresql://")
    # pg_stat_activity is read once per transaction: the blocker cannot watch it itself
    blocker, watcher = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        async with blocker.transaction():
            await blocker.execute(
                "SELECT 1 FROM account WHERE id = $1 FOR NO KEY UPDATE", accounts[-1].id
            )
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-c", _KILLED, settings.database_url, handle),
                env={**os.environ},
                stderr=asyncio.subprocess.PIPE,
            )
            await _until_waiting(watcher, process)
            # when: the worker is killed there
            process.send_signal(signal.SIGKILL)
            await process.wait()
    finally:
        await blocker.close()
        await watcher.close()
    # then: neither organization holds anything of the refresh
    for account in accounts:
        row = await models.Account.get(id=account.id)
        assert row.last_scrape_at is None
        assert row.followers is None
        assert not await models.Video.filter(organization_id=account.organization_id).exists()
        assert not await models.AccountSnapshot.filter(account_id=account.id).exists()
    for org in orgs:
        assert (await models.Organization.get(id=org.id)).data_version == versions[org.id]
    # and: running it again records both organizations once
    await write_refresh(accounts, answer(handle, 12))
    for account in accounts:
        assert await models.Video.filter(account_id=account.id).count() == 12
        assert await models.AccountSnapshot.filter(account_id=account.id).count() == 1


async def test_a_post_listed_twice_in_the_feed_is_recorded_once(make_org: MakeOrg) -> None:
    org = await make_org()
    handle = f"twice.{org.id}"
    accounts = await tracked([org], handle)
    seen = answer(handle, 3)
    doubled = Answer(seen.profile, [*seen.posts, seen.posts[0]], seen.moment, seen.insights)
    await write_refresh(accounts, doubled)
    videos = await models.Video.filter(account_id=accounts[0].id)
    assert len(videos) == 3
    assert await models.VideoSnapshot.filter(video_id__in=[v.id for v in videos]).count() == 3
