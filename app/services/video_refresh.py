"""Refreshing an individual post: fetch it once, record it for every organization that added it.

Keyed by (platform, media id) like a profile refresh is keyed by handle, so a post several
organizations added is fetched once. TikTok reads the post by id; Instagram has no single-post
read for other people's posts, so the post is found in its author's feed, and the author comes
from the URL it was added by, the `authorHandle` given with it, or any tracked account whose feed
holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app import models
from app.identifiers import Platform
from app.metrics import store, versions
from app.models import Availability
from app.platforms.errors import (
    PlatformError,
    RateLimited,
    UpstreamError,
)
from app.platforms.registry import spec
from app.platforms.values import Post
from app.services.insights import owner_insights
from app.services.recording import ONCE, RecordRetry, record_together, record_unavailable
from app.services.refresh import STATES, PlatformClients, RefreshResult, counters, recorded


def _author(rows: list[models.Video]) -> str | None:
    """The post's author as any organization's row knows it (individual rows first)."""
    for row in sorted(rows, key=lambda r: not r.is_individual):
        if row.author_handle:
            return row.author_handle
    return None


async def refresh_video(
    platform: Platform,
    media_id: str,
    clients: PlatformClients,
    *,
    now: datetime | None = None,
    retry: RecordRetry = ONCE,
) -> RefreshResult:
    """Refresh every individual video with this platform and post id, fetching upstream once.

    Raises `RateLimited` and transient `UpstreamError` (for retry); records every other
    outcome on the videos. Recording a video that fails on our side is retried from the same
    answer (`retry`), then ends ERROR.
    """
    moment = now or datetime.now(UTC)
    rows = await models.Video.filter(platform=platform, platform_video_id=media_id)
    individual = [row for row in rows if row.is_individual]
    if not individual:
        return RefreshResult(0, Availability.PENDING)
    try:
        post = await clients.post(platform, media_id, _author(rows))
    except RateLimited:
        raise
    except UpstreamError as exc:
        if exc.transient:
            raise
        await record_unavailable(individual, Availability.ERROR, exc.message, moment)
        return RefreshResult(len(individual), Availability.ERROR)
    except PlatformError as exc:  # the author's profile is gone or hidden, or auth refused
        state = next((s for t, s in STATES if isinstance(exc, t)), Availability.ERROR)
        await record_unavailable(individual, state, exc.message, moment)
        return RefreshResult(len(individual), state)
    moment = now or datetime.now(UTC)  # observed when the platform answered
    if post is None:
        await record_unavailable(individual, Availability.NOT_FOUND, "", moment)
        return RefreshResult(len(individual), Availability.NOT_FOUND)
    insights = await _owner_insights(individual, post, clients)

    failed = await record_together(
        individual, lambda chosen: _write(chosen, post, moment, insights), retry, moment
    )
    return recorded(len(individual), 1, failed)


async def _owner_insights(
    rows: list[models.Video], post: Post, clients: PlatformClients
) -> dict[int, tuple[int | None, int | None]]:
    """(saves, shares) by organization, for those that connected the post's Instagram author.

    As in a profile refresh: only an organization whose own token is accepted gets them.
    """
    client = clients[post.platform]
    if not client.supports_insights or not post.author_handle:
        return {}
    connected = await models.Account.filter(
        platform=post.platform,
        handle=post.author_handle,
        organization_id__in={row.organization_id for row in rows},
        insights_token__not_isnull=True,
    )
    if not connected:
        return {}
    read = await owner_insights(client, clients.secret_box, connected, [post])
    return {
        account.organization_id: read.by_media.get(post.media_id, (None, None))
        for account in connected
        if read.for_account(account.id) is not None
    }


def _details(row: models.Video, post: Post, moment: datetime) -> dict[str, object]:
    details: dict[str, object] = {
        "shortcode": post.shortcode or row.shortcode,
        "graph_media_id": post.graph_media_id or row.graph_media_id,
        "caption": post.caption,
        "media_type": post.media_type,
        "thumbnail_url": post.thumbnail_url,
        "published_at": post.published_at or row.published_at,
        "author_handle": post.author_handle or row.author_handle,
        "availability": Availability.ACTIVE,
        "last_error": None,
        "last_error_at": None,
        "first_scrape_at": row.first_scrape_at or moment,
        "last_scrape_at": moment,
        "next_scrape_at": moment + timedelta(hours=row.scrape_interval_hours),
    }
    if spec(row.platform).url_names_author and post.author_handle:
        details["url"] = post.url  # the canonical URL names the author: /@handle/video/id
    return details


async def _write(
    rows: Sequence[models.Video],
    post: Post,
    moment: datetime,
    insights: dict[int, tuple[int | None, int | None]],
) -> None:
    """Record the post for every organization's row in one transaction: all or nothing."""
    organizations = {row.organization_id for row in rows}
    async with versions.writing(*organizations) as conn:
        await store.lock_organizations(conn, organizations)
        observed = {}
        for row in rows:
            await (
                models.Video.filter(id=row.id).using_db(conn).update(**_details(row, post, moment))
            )
            owned = insights.get(row.organization_id)
            saves, shares = owned if owned is not None else (post.saves, post.shares)
            observed[row.id] = [counters(post, moment, saves=saves, shares=shares)]
        # The store reads the rows again: a publish date learned just now anchors the history.
        await store.write_observations(conn, {}, observed, locked=organizations)
