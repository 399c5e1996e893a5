"""The requestRefresh mutation: an early refresh, at most one per 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id
from app.metrics import versions
from app.models import Scope
from app.platforms.interface import ReadKind as Kind

MIN_GAP = timedelta(minutes=15)


@strawberry.type(description="Result of requestRefresh.")
class RequestRefreshPayload:
    """Whether an early refresh was queued, and when the next one may be asked for."""

    queued: bool = strawberry.field(description="True when a refresh was queued.")
    next_allowed_at: datetime | None = strawberry.field(
        description="When an early refresh may next be requested."
    )
    user_errors: list[UserError] = strawberry.field(
        description="TOO_SOON when one ran in the last 15 minutes; NOT_FOUND."
    )


@strawberry.type
class RefreshMutations:
    """Early refreshes (scope WRITE)."""

    @strawberry.mutation(
        description="Ask for an early refresh of an account (or of the account whose feed holds "
        "an account video) or of an individual video. Refused with TOO_SOON, and the time of "
        "the next allowed refresh, when one ran in the last 15 minutes. Watch lastScrapeTime "
        "for the result."
    )
    async def request_refresh(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="Account, AccountVideo or IndividualVideo id."),
        ],
    ) -> RequestRefreshPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        decoded = decode_id(id)
        target: models.Account | models.Video | None = None
        if decoded is not None and decoded[0] == "Account":
            target = await ctx.loaders.account_by_id.load(decoded[1])
        elif decoded is not None and decoded[0] == "AccountVideo":
            video = await ctx.loaders.video_by_id.load(decoded[1])
            if video is not None and video.account_id is not None:
                target = await ctx.loaders.account_by_id.load(video.account_id)
        elif decoded is not None and decoded[0] == "IndividualVideo":
            video = await ctx.loaders.video_by_id.load(decoded[1])
            target = video if video is not None and video.is_individual else None
        if target is None:
            return RequestRefreshPayload(
                queued=False,
                next_allowed_at=None,
                user_errors=[UserError(field=["id"], message="Not found", code="NOT_FOUND")],
            )
        now = datetime.now(UTC)
        if target.last_scrape_at is not None and now - target.last_scrape_at < MIN_GAP:
            allowed = target.last_scrape_at + MIN_GAP
            return RequestRefreshPayload(
                queued=False,
                next_allowed_at=allowed,
                user_errors=[
                    UserError(
                        field=["id"],
                        message="Refreshed less than 15 minutes ago; "
                        f"try again after {allowed:%H:%M} UTC",
                        code="TOO_SOON",
                    )
                ],
            )
        async with versions.writing(ctx.tenant.organization_id):  # nextScrapeTime changes
            if isinstance(target, models.Account):
                await ctx.tenant.accounts().filter(id=target.id).update(next_scrape_at=now)
                kind, key = Kind.PROFILE, target.handle
            else:
                await ctx.tenant.individual_videos().filter(id=target.id).update(next_scrape_at=now)
                kind, key = Kind.VIDEO, target.platform_video_id
        if ctx.refresher is not None:
            await ctx.refresher.enqueue(kind, target.platform.value, key)
        return RequestRefreshPayload(queued=True, next_allowed_at=now + MIN_GAP, user_errors=[])
