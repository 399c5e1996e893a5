"""Mutations that track, update and untrack accounts."""

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
from app.graphql.types.account import Account
from app.graphql.types.common import Platform
from app.models import Scope
from app.platforms.interface import ReadKind as Kind
from app.security.crypto import SecretBox
from app.services import accounts as service
from app.services.outcomes import Outcome


@strawberry.type(description="Result of trackAccount.")
class TrackAccountPayload:
    """The tracked account, or why it could not be tracked."""

    account: Account | None = strawberry.field(description="The account, new or existing.")
    created: bool = strawberry.field(
        description="False when the account was already tracked (the call is idempotent)."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of updateAccount.")
class UpdateAccountPayload:
    """The updated account."""

    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of untrackAccount.")
class UntrackAccountPayload:
    """The id of the account that is no longer tracked."""

    untracked_account_id: strawberry.ID | None = strawberry.field(
        description="Global id of the removed account."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of connectAccount.")
class ConnectAccountPayload:
    """The connected account; the token itself is never returned."""

    account: Account | None = strawberry.field(
        description="The account, with isConnected true, or null when it could not be connected."
    )
    user_errors: list[UserError] = strawberry.field(
        description="NOT_FOUND, UNSUPPORTED (not an Instagram account) or INVALID_TOKEN."
    )


@strawberry.type(description="Result of disconnectAccount.")
class DisconnectAccountPayload:
    """The account, no longer connected."""

    account: Account | None = strawberry.field(description="The account, with isConnected false.")
    user_errors: list[UserError] = strawberry.field(description="NOT_FOUND.")


def _not_found(field: str) -> list[UserError]:
    return [UserError(field=[field], message="No such account", code="NOT_FOUND")]


@strawberry.type
class AccountMutations:
    """Account mutations (scope WRITE)."""

    @strawberry.mutation(
        description="Track a profile by platform + handle, or by profile URL. Idempotent on "
        "(platform, handle). The first refresh is due at once; lastScrapeTime stays null "
        "until it completes."
    )
    async def track_account(
        self,
        info: Info,
        platform: Annotated[
            Platform | None,
            strawberry.argument(description="Required with `handle`; implied by `url`."),
        ] = None,
        handle: Annotated[
            str | None, strawberry.argument(description="Username, with or without '@'.")
        ] = None,
        url: Annotated[str | None, strawberry.argument(description="Profile URL.")] = None,
        scrape_interval_hours: Annotated[
            int | None, strawberry.argument(description="Refresh interval, 1–168 (default 24).")
        ] = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_DESCRIPTION)
        ] = None,
    ) -> TrackAccountPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)

        async def perform() -> Outcome[Any]:
            return await service.track_account(
                ctx.tenant,
                platform=platform,
                handle=handle,
                url=url,
                scrape_interval_hours=scrape_interval_hours,
            )

        result = await idempotent(
            info,
            "trackAccount",
            idempotency_key,
            {"platform": platform, "handle": handle, "url": url, "i": scrape_interval_hours},
            perform,
            lambda o: {"id": o.value.id if o.value else None, "created": o.created},
        )
        account = None
        if result["id"] is not None:
            row = await ctx.loaders.account_by_id.load(result["id"])
            account = Account.from_row(row) if row else None
            if row is not None and result["created"] and ctx.refresher is not None:
                # The first refresh, at once; the scheduler would pick it up anyway.
                await ctx.refresher.enqueue(Kind.PROFILE, row.platform.value, row.handle)
        return TrackAccountPayload(
            account=account, created=result["created"], user_errors=stored_problems(result)
        )

    @strawberry.mutation(description="Change an account's refresh interval.")
    async def update_account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Account id.")],
        scrape_interval_hours: Annotated[
            int | None, strawberry.argument(description="Refresh interval, 1–168.")
        ] = None,
    ) -> UpdateAccountPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Account")
        if pk is None:
            return UpdateAccountPayload(account=None, user_errors=_not_found("id"))
        outcome = await service.update_account(
            ctx.tenant, pk, scrape_interval_hours=scrape_interval_hours
        )
        return UpdateAccountPayload(
            account=Account.from_row(outcome.value) if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="Stop tracking an account. Its history and its feed-only videos are "
        "deleted; videos also added by hand stay as individual videos."
    )
    async def untrack_account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Account id.")],
    ) -> UntrackAccountPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Account")
        if pk is None:
            return UntrackAccountPayload(untracked_account_id=None, user_errors=_not_found("id"))
        outcome = await service.untrack_account(ctx.tenant, pk)
        return UntrackAccountPayload(
            untracked_account_id=id if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="Connect an Instagram account with its owner's access token, so that every "
        "refresh reads saves and shares from the owner's media insights (other organizations "
        "tracking the same profile do not get them). The token is stored encrypted and never "
        "returned. A refresh is due at once."
    )
    async def connect_account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Instagram account id.")],
        access_token: Annotated[
            str,
            strawberry.argument(
                description="The account owner's Instagram access token (at most 4096 "
                "characters), with permission to read its media insights."
            ),
        ],
    ) -> ConnectAccountPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Account")
        if pk is None:
            return ConnectAccountPayload(account=None, user_errors=_not_found("id"))
        box = SecretBox(ctx.settings.secret_key.get_secret_value())
        outcome = await service.connect_account(ctx.tenant, pk, access_token, box)
        row = outcome.value
        if row is not None and ctx.refresher is not None:
            await ctx.refresher.enqueue(Kind.PROFILE, row.platform.value, row.handle)
        return ConnectAccountPayload(
            account=Account.from_row(row) if row else None,
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(
        description="Forget an account's owner token: from the next refresh on, its saves (and "
        "Instagram shares) are no longer recorded. Earlier snapshots stay."
    )
    async def disconnect_account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Account id.")],
    ) -> DisconnectAccountPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Account")
        if pk is None:
            return DisconnectAccountPayload(account=None, user_errors=_not_found("id"))
        outcome = await service.disconnect_account(ctx.tenant, pk)
        return DisconnectAccountPayload(
            account=Account.from_row(outcome.value) if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )
