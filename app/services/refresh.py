"""Refreshing a profile: fetch it (and its recent feed) once, record it for every organization.

The same upstream profile tracked by several organizations is fetched once: a refresh is keyed
by (platform, handle) and fans out to every account row with that key. Expected upstream states
(not found, private, restricted, auth refused, permanent errors) are recorded as availability;
throttling and transient failures are raised for the job layer to retry with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import models
from app.identifiers import Platform
from app.metrics import store, versions
from app.models import Availability
from app.platforms.errors import (
    AuthExpired,
    AuthorUnknown,
    PlatformError,
    ProfileNotFound,
    ProfilePrivate,
    ProfileRestricted,
    UpstreamError,
)
from app.platforms.values import Post, Profile
from app.services.clients import PlatformClients, build_platform_clients
from app.services.insights import OwnerInsights, owner_insights
from app.services.recording import ONCE, RecordRetry, record_each, record_unavailable

__all__ = [
    "STATES",
    "AuthorUnknown",
    "PlatformClients",
    "RefreshResult",
    "build_platform_clients",
    "counters",
    "recorded",
    "refresh_profile",
]

STATES: list[tuple[type[PlatformError], Availability]] = [
    (ProfileNotFound, Availability.NOT_FOUND),
    (ProfilePrivate, Availability.PRIVATE),
    (ProfileRestricted, Availability.RESTRICTED),
]


def counters(
    post: Post, moment: datetime, *, saves: int | None, shares: int | None
) -> store.VideoCounters:
    """A post's public counters as observed at `moment`, with saves and shares as given."""
    return store.VideoCounters(
        moment,
        views=post.views,
        plays=post.plays,
        likes=post.likes,
        comments=post.comments,
        shares=shares,
        saves=saves,
    )


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What one refresh of a (platform, handle) did; `failed` rows could not be recorded."""

    accounts: int
    availability: Availability
    posts: int = 0
    failed: int = 0


def recorded(rows: int, posts: int, failed: int) -> RefreshResult:
    """The result of an answer recorded for `rows` rows, `failed` of them given up."""
    state = Availability.ERROR if failed == rows else Availability.ACTIVE
    return RefreshResult(rows, state, posts, failed)


async def refresh_profile(
    platform: Platform,
    handle: str,
    clients: PlatformClients,
    *,
    now: datetime | None = None,
    retry: RecordRetry = ONCE,
) -> RefreshResult:
    """Refresh every tracked account with this platform and handle, fetching upstream once.

    Raises `RateLimited` and transient `UpstreamError` (for retry); records every other
    outcome on the accounts. Saves and shares come from owner insights where the platform has
    them (Instagram), and only for the accounts whose owner connected them
    (`app.services.insights`). Recording an account that fails on our side is retried from the
    same answer (`retry`), then ends ERROR.
    """
    moment = now or datetime.now(UTC)
    accounts = await models.Account.filter(platform=platform, handle=handle).select_related(
        "organization"
    )
    if not accounts:
        return RefreshResult(0, Availability.PENDING)
    try:
        profile = await clients.profile(platform, handle)
        longest = max(a.organization.lookback_days for a in accounts)
        most = max(a.organization.max_recent_posts for a in accounts)
        posts = await clients.recent_posts(
            platform, handle, limit=most, since=moment - timedelta(days=longest)
        )
    except (AuthExpired, UpstreamError) as exc:
        if isinstance(exc, UpstreamError) and exc.transient:
            raise
        await record_unavailable(accounts, Availability.ERROR, exc.message, moment)
        return RefreshResult(len(accounts), Availability.ERROR)
    except PlatformError as exc:
        for error_type, state in STATES:
            if isinstance(exc, error_type):
                await record_unavailable(accounts, state, exc.message, moment)
                return RefreshResult(len(accounts), state)
        raise
    moment = now or datetime.now(UTC)  # observed when the platform answered
    insights = OwnerInsights()
    connected = [a for a in accounts if a.insights_token is not None]
    client = clients[platform]
    if client.supports_insights and connected:
        wanted = {p.media_id for a in connected for p in _recent(a, posts, moment)}
        insights = await owner_insights(
            client,
            clients.secret_box,
            connected,
            [p for p in posts if p.media_id in wanted],
        )
    failed = await record_each(
        accounts, lambda account: _apply(account, profile, posts, moment, insights), retry, moment
    )
    return recorded(len(accounts), len(posts), failed)


def _recent(account: models.Account, posts: list[Post], moment: datetime) -> list[Post]:
    """The posts the account's organization keeps: its look-back days and recent-post maximum."""
    organization = account.organization
    cutoff = moment - timedelta(days=organization.lookback_days)
    recent = [p for p in posts if p.published_at is None or p.published_at >= cutoff]
    return recent[: organization.max_recent_posts]


async def _apply(
    account: models.Account,
    profile: Profile,
    posts: list[Post],
    moment: datetime,
    insights: OwnerInsights,
) -> None:
    # The profile and each post are written in transactions of their own: the organization's
    # data version moves once, after the last (app.metrics.versions).
    async with versions.batched(account.organization_id):
        recent = _recent(account, posts, moment)
        owned = insights.for_account(account.id)  # None: not connected, public counters only
        problem = insights.refused.get(account.id)
        await store.record_profile(
            account.id,
            [
                store.ProfileCounters(
                    moment,
                    followers=profile.followers,
                    following=profile.following,
                    posts=profile.posts_count,
                )
            ],
        )
        # One query for the rows the organization already has, not one per post.
        known = {
            v.platform_video_id: v
            for v in await models.Video.filter(
                organization_id=account.organization_id,
                platform=account.platform,
                platform_video_id__in=[p.media_id for p in recent],
            )
        }
        for post in recent:
            video_id = await _discovered_video(account, post, known.get(post.media_id), moment)
            saves, shares = post.saves, post.shares
            if owned is not None:
                saves, shares = owned.get(post.media_id, (None, None))
            await store.record_video(video_id, [counters(post, moment, saves=saves, shares=shares)])
        await models.Account.filter(id=account.id).update(
            platform_user_id=profile.platform_user_id or account.platform_user_id,
            display_name=profile.display_name,
            biography=profile.biography,
            avatar_url=profile.avatar_url,
            website=profile.website,
            is_verified=profile.is_verified,
            availability=Availability.ACTIVE,
            last_error=problem,  # the owner's token was refused; the public data is recorded
            last_error_at=moment if problem else None,
            first_scrape_at=account.first_scrape_at or moment,
            last_scrape_at=moment,
            next_scrape_at=moment + timedelta(hours=account.scrape_interval_hours),
        )


async def _discovered_video(
    account: models.Account, post: Post, existing: models.Video | None, moment: datetime
) -> int:
    """The organization's row for a post found in the account's feed (created if new)."""
    details: dict[str, Any] = {
        "shortcode": post.shortcode,
        "graph_media_id": post.graph_media_id,
        "url": post.url,
        "caption": post.caption,
        "media_type": post.media_type,
        "thumbnail_url": post.thumbnail_url,
        "published_at": post.published_at,
        "author_handle": account.handle,
        "availability": Availability.ACTIVE,
        "first_scrape_at": moment,
        "last_scrape_at": moment,
    }
    if existing is None:
        video = await models.Video.create(
            organization_id=account.organization_id,
            platform=account.platform,
            platform_video_id=post.media_id,
            account_id=account.id,
            discovered_at=moment,
            **details,
        )
        return video.id
    details["first_scrape_at"] = existing.first_scrape_at or moment
    await models.Video.filter(id=existing.id).update(**details)
    if existing.account_id != account.id:
        await store.set_video_account(existing.id, account.id)
        await models.Video.filter(id=existing.id).update(discovered_at=moment)
    return existing.id
