"""Refreshing a profile: fetch it (and its recent feed) once, record it for every organization.

The same upstream profile tracked by several organizations is fetched once: a refresh is keyed
by (platform, handle) and fans out to every account row with that key. Expected upstream states
(not found, private, restricted, auth refused, permanent errors) are recorded as availability;
throttling and transient failures are raised for the job layer to retry with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app import models
from app.identifiers import Platform
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
from app.services.clients import PlatformClients, build_platform_clients
from app.services.insights import OwnerInsights, owner_insights
from app.services.recording import ONCE, RecordRetry, record_together, record_unavailable
from app.services.refresh_write import Answer, counters, recent_posts, write_refresh

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
        wanted = {p.media_id for a in connected for p in recent_posts(a, posts, moment)}
        insights = await owner_insights(
            client,
            clients.secret_box,
            connected,
            [p for p in posts if p.media_id in wanted],
        )
    answer = Answer(profile, posts, moment, insights)
    failed = await record_together(
        accounts, lambda rows: write_refresh(rows, answer), retry, moment
    )
    return recorded(len(accounts), len(posts), failed)
