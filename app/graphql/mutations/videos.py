"""Mutations that add, update and remove individual videos."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id_of
from app.graphql.mutations.support import (
    IDEMPOTENCY_KEY_DESCRIPTION,
    idempotent,
    stored_problems,
    user_errors,
)
from app.graphql.types.common import Platform
from app.graphql.types.video import IndividualVideo
from app.models import Scope
from app.platforms.interface import ReadKind as Kind
from app.services import videos as service
from app.services.outcomes import Outcome


@strawberry.type(description="Result of addVideo.")
class AddVideoPayload:
    """The individual video, or why it could not be added."""

    video: IndividualVideo | None = strawberry.field(description="The video, new or existing.")
    created: bool = strawberry.field(
        description="False when the post was already an individual video."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of updateVideo.")
class UpdateVideoPayload:
    """The updated video."""

    video: IndividualVideo | None = strawberry.field(description="The video after the change.")
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of removeVideo.")
class RemoveVideoPayload:
    """The id of the removed individual video."""

    removed_video_id: strawberry.ID | None = strawberry.field(
        description="Global id of the removed individual video."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


def _not_found() -> list[UserError]:
    return [UserError(field=["id"], message="No such individual video", code="NOT_FOUND")]


@strawberry.type
class VideoMutations:
    """Individual video mutations (scope WRITE)."""

    @strawberry.mutation(
        description="Add a post by URL, Instagram shortcode, or numeric id + platform. "
        "Idempotent on the post; a post already discovered from a tracked account also "
        "becomes an individual video, counted once in organization totals."
    )
    async def add_video(
        self,
        info: Info,
        url: Annotated[str | None, strawberry.argument(description="Post URL.")] = None,
        shortcode: Annotated[
            str | None, strawberry.argument(description="Instagram shortcode.")
        ] = None,
        id: Annotated[
            str | None,
            strawberry.argument(
                description="Numeric post id (Instagram media pk or TikTok video id); needs "
                "`platform`."
            ),
        ] = None,
        platform: Annotated[
            Platform | None, strawberry.argument(description="Platform of a numeric id.")
        ] = None,
        scrape_interval_hours: Annotated[
            int | None, strawberry.argument(description="Refresh interval, 1–168 (default 24).")
        ] = None,
        author_handle: Annotated[
            str | None,
            strawberry.argument(
                description="The author's handle, when the URL does not name it. Instagram "
                "posts are read through their author's profile, so one added by shortcode, id "
                "or a /p/ URL needs it unless a tracked account's feed holds the post."
            ),
        ] = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_DESCRIPTION)
        ] = None,
    ) -> AddVideoPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)

        async def perform() -> Outcome[Any]:
            return await service.add_video(
                ctx.tenant,
                url=url,
                shortcode=shortcode,
                video_id=id,
                platform=platform,
                scrape_interval_hours=scrape_interval_hours,
                author_handle=author_handle,
            )

        result = await idempotent(
            info,
            "addVideo",
            idempotency_key,
            {
                "url": url,
                "s": shortcode,
                "id": id,
                "p": platform,
                "i": scrape_interval_hours,
                "a": author_handle,
            },
            perform,
            lambda o: {"id": o.value.id if o.value else None, "created": o.created},
        )
        video = None
        if result["id"] is not None:
            row = await ctx.loaders.video_by_id.load(result["id"])
            video = IndividualVideo.from_row(row) if row and row.is_individual else None
            if row is not None and result["created"] and ctx.refresher is not None:
                # The first refresh, at once; the scheduler would pick it up anyway.
                await ctx.refresher.enqueue(Kind.VIDEO, row.platform.value, row.platform_video_id)
        return AddVideoPayload(
            video=video, created=result["created"], user_errors=stored_problems(result)
        )

    @strawberry.mutation(description="Change an individual video's refresh interval.")
    async def update_video(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="IndividualVideo id.")],
        scrape_interval_hours: Annotated[
            int | None, strawberry.argument(description="Refresh interval, 1–168.")
        ] = None,
    ) -> UpdateVideoPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "IndividualVideo")
        if pk is None:
            return UpdateVideoPayload(video=None, user_errors=_not_found())
        outcome = await service.update_video(
            ctx.tenant, pk, scrape_interval_hours=scrape_interval_hours
        )
        return UpdateVideoPayload(
            video=IndividualVideo.from_row(outcome.value) if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="Remove an individual video. A post that a tracked account's feed also "
        "holds stays as an account video."
    )
    async def remove_video(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="IndividualVideo id.")],
    ) -> RemoveVideoPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "IndividualVideo")
        if pk is None:
            return RemoveVideoPayload(removed_video_id=None, user_errors=_not_found())
        outcome = await service.remove_video(ctx.tenant, pk)
        return RemoveVideoPayload(
            removed_video_id=id if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )
