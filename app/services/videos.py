"""Adding, updating and removing individual videos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from app import models
from app.identifiers import (
    IdentifierError,
    Platform,
    normalize_handle,
    parse_video_ref,
)
from app.metrics import store, versions
from app.platforms.registry import spec
from app.services.accounts import check_interval
from app.services.outcomes import Outcome
from app.services.tenancy import Tenant


async def add_video(
    tenant: Tenant,
    *,
    url: str | None,
    shortcode: str | None,
    video_id: str | None,
    platform: Platform | None,
    scrape_interval_hours: int | None = None,
    author_handle: str | None = None,
) -> Outcome[models.Video]:
    """Add a post by URL, shortcode or numeric id; idempotent on the post.

    Adding a post the organization already has (as an account video or an individual video)
    gives it the individual role and returns it; nothing is duplicated. `author_handle` names
    the author when the reference does not (Instagram posts are read through their author).
    """
    try:
        ref = parse_video_ref(url=url, shortcode=shortcode, video_id=video_id, platform=platform)
    except IdentifierError as exc:
        if exc.field is None:  # the identifiers module names its own parameters
            return Outcome.fail(exc.code, "Give exactly one of url, shortcode or id (+ platform)")
        return Outcome.fail(exc.code, exc.message, _field(exc.field))
    if ref.requires_resolution or ref.media_id is None:
        return Outcome.fail(
            "SHORT_LINK_UNSUPPORTED",
            "Short links must be opened first: pass the full post URL it redirects to",
            "url",
        )
    interval = check_interval(scrape_interval_hours)
    if interval.problems:
        return Outcome(problems=interval.problems)
    author = ref.handle
    if author_handle is not None:
        try:
            given = normalize_handle(ref.platform, author_handle)
        except IdentifierError as exc:
            return Outcome.fail(exc.code, exc.message, "authorHandle")
        if author is not None and author != given:
            return Outcome.fail(
                "AUTHOR_MISMATCH", f"The URL names @{author} as the author", "authorHandle"
            )
        author = given
    now = datetime.now(UTC)
    existing = (
        await tenant.videos().filter(platform=ref.platform, platform_video_id=ref.media_id).first()
    )
    if existing is not None:
        if existing.is_individual:
            return Outcome(value=existing, created=False)
        existing.is_individual = True
        existing.individual_added_at = now
        existing.scrape_interval_hours = interval.value or existing.scrape_interval_hours
        existing.author_handle = existing.author_handle or author
        existing.next_scrape_at = now
        async with versions.writing(tenant.organization_id):
            await existing.save(
                update_fields=[
                    "is_individual",
                    "individual_added_at",
                    "scrape_interval_hours",
                    "author_handle",
                    "next_scrape_at",
                ]
            )
        return Outcome(value=existing, created=True)
    account = None
    if author:
        account = await tenant.accounts().filter(platform=ref.platform, handle=author).first()
    try:
        async with versions.writing(tenant.organization_id):  # a savepoint inside a transaction
            video = await models.Video.create(
                organization_id=tenant.organization_id,
                platform=ref.platform,
                platform_video_id=ref.media_id,
                shortcode=ref.shortcode,
                url=ref.canonical_url or canonical_post_url(ref.platform, ref.media_id, author),
                author_handle=author,
                account_id=account.id if account else None,
                discovered_at=now if account else None,
                is_individual=True,
                individual_added_at=now,
                scrape_interval_hours=interval.value or 24,
                next_scrape_at=now,
            )
    except IntegrityError:
        video = await tenant.videos().get(platform=ref.platform, platform_video_id=ref.media_id)
        return Outcome(value=video, created=False)
    return Outcome(value=video, created=True)


def canonical_post_url(platform: Platform, media_id: str, handle: str | None) -> str:
    """The canonical public URL of a post from its numeric id."""
    return spec(platform).post_url(media_id, handle)


def _field(field: str) -> str:
    # The GraphQL argument for the numeric id is `id`.
    return "id" if field == "video_id" else field


async def update_video(
    tenant: Tenant, video_id: int, *, scrape_interval_hours: int | None
) -> Outcome[models.Video]:
    """Change an individual video's refresh interval."""
    video = await tenant.individual_videos().filter(id=video_id).first()
    if video is None:
        return Outcome.fail("NOT_FOUND", "No such individual video", "id")
    interval = check_interval(scrape_interval_hours)
    if interval.problems:
        return Outcome(problems=interval.problems)
    if interval.value is not None:
        video.scrape_interval_hours = interval.value
        if video.last_scrape_at is not None:  # the new interval counts from the last refresh
            video.next_scrape_at = video.last_scrape_at + timedelta(hours=interval.value)
        async with versions.writing(tenant.organization_id):
            await video.save(update_fields=["scrape_interval_hours", "next_scrape_at"])
    return Outcome(value=video)


async def remove_video(tenant: Tenant, video_id: int) -> Outcome[int]:
    """Remove a post's individual role; the row goes when no tracked account holds it."""
    video = await tenant.individual_videos().filter(id=video_id).first()
    if video is None:
        return Outcome.fail("NOT_FOUND", "No such individual video", "id")
    if video.account_id is not None:
        video.is_individual = False
        video.individual_added_at = None
        async with versions.writing(tenant.organization_id):
            await video.save(update_fields=["is_individual", "individual_added_at"])
    else:
        await store.forget_video(video.id)
    return Outcome(value=video_id)
