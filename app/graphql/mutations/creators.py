"""Mutations that manage creators and their member accounts."""

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
from app.graphql.types.creator import Creator
from app.models import Scope
from app.services import creators as service
from app.services.outcomes import Outcome

AccountIds = Annotated[
    list[strawberry.ID], strawberry.argument(description="Account ids (at most 200).")
]


@strawberry.type(description="Result of a mutation that returns a creator.")
class CreatorPayload:
    """The creator after the change."""

    creator: Creator | None = strawberry.field(description="The creator.")
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of deleteCreator.")
class DeleteCreatorPayload:
    """The id of the deleted creator."""

    deleted_creator_id: strawberry.ID | None = strawberry.field(
        description="Global id of the deleted creator."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


def _not_found(field: str) -> list[UserError]:
    return [UserError(field=[field], message="No such creator", code="NOT_FOUND")]


def _account_pks(ids: list[strawberry.ID]) -> list[int | None]:
    return [decode_id_of(gid, "Account") for gid in ids]


async def _payload(info: Info, outcome: Outcome[Any]) -> CreatorPayload:
    return CreatorPayload(
        creator=Creator.from_row(outcome.value) if outcome.value else None,
        user_errors=user_errors(outcome.problems),
    )


@strawberry.type
class CreatorMutations:
    """Creator mutations (scope WRITE)."""

    @strawberry.mutation(description="Create a creator from accounts of the organization.")
    async def create_creator(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="Unique name, 1–200 characters.")],
        account_ids: AccountIds,
        description: Annotated[
            str | None, strawberry.argument(description="Free-form description.")
        ] = None,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_DESCRIPTION)
        ] = None,
    ) -> CreatorPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)

        async def perform() -> Outcome[Any]:
            return await service.create_creator(
                ctx.tenant,
                name=name,
                description=description,
                account_ids=_account_pks(account_ids),
            )

        result = await idempotent(
            info,
            "createCreator",
            idempotency_key,
            {"name": name, "ids": account_ids, "d": description},
            perform,
            lambda o: {"id": o.value.id if o.value else None},
        )
        creator = None
        if result["id"] is not None:
            row = await ctx.loaders.creator_by_id.load(result["id"])
            creator = Creator.from_row(row) if row else None
        return CreatorPayload(creator=creator, user_errors=stored_problems(result))

    @strawberry.mutation(description="Rename a creator or change its description.")
    async def update_creator(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Creator id.")],
        name: Annotated[str | None, strawberry.argument(description="New name.")] = None,
        description: Annotated[
            str | None,
            strawberry.argument(description="New description; an empty string clears it."),
        ] = None,
    ) -> CreatorPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Creator")
        if pk is None:
            return CreatorPayload(creator=None, user_errors=_not_found("id"))
        outcome = await service.update_creator(ctx.tenant, pk, name=name, description=description)
        return await _payload(info, outcome)

    @strawberry.mutation(description="Delete a creator; its accounts stay tracked.")
    async def delete_creator(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Creator id.")],
    ) -> DeleteCreatorPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(id, "Creator")
        if pk is None:
            return DeleteCreatorPayload(deleted_creator_id=None, user_errors=_not_found("id"))
        outcome = await service.delete_creator(ctx.tenant, pk)
        return DeleteCreatorPayload(
            deleted_creator_id=id if outcome.value else None,
            user_errors=user_errors(outcome.problems),
        )

    @strawberry.mutation(description="Add accounts to a creator; existing members are kept.")
    async def add_accounts_to_creator(
        self,
        info: Info,
        creator_id: Annotated[strawberry.ID, strawberry.argument(description="Creator id.")],
        account_ids: AccountIds,
    ) -> CreatorPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(creator_id, "Creator")
        if pk is None:
            return CreatorPayload(creator=None, user_errors=_not_found("creatorId"))
        outcome = await service.add_accounts(ctx.tenant, pk, _account_pks(account_ids))
        return await _payload(info, outcome)

    @strawberry.mutation(description="Remove accounts from a creator; the accounts stay tracked.")
    async def remove_accounts_from_creator(
        self,
        info: Info,
        creator_id: Annotated[strawberry.ID, strawberry.argument(description="Creator id.")],
        account_ids: AccountIds,
    ) -> CreatorPayload:
        ctx = info.context
        ctx.require_scope(Scope.WRITE)
        pk = decode_id_of(creator_id, "Creator")
        if pk is None:
            return CreatorPayload(creator=None, user_errors=_not_found("creatorId"))
        outcome = await service.remove_accounts(ctx.tenant, pk, _account_pks(account_ids))
        return await _payload(info, outcome)
