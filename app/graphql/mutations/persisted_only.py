"""The mutation that makes an API key or the whole organization persisted-only (scope ADMIN)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id_of
from app.graphql.types.organization import ApiKey, Organization
from app.models import Scope
from app.services import api_keys, organizations


@strawberry.type(description="Result of setPersistedQueriesOnly.")
class SetPersistedQueriesOnlyPayload:
    """What was switched."""

    api_key: ApiKey | None = strawberry.field(
        description="The key switched; null when the organization was, or when refused."
    )
    organization: Organization | None = strawberry.field(
        description="The organization, as it is now; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type
class PersistedOnlyMutations:
    """Persisted-only switches (scope ADMIN)."""

    @strawberry.mutation(
        description="Allow only trusted (persisted) documents — by document id, by hash or by "
        "their exact text — for one API key (`apiKeyId`) or, without it, for every key of the "
        "organization; `enabled: false` allows any document again. Takes effect from the next "
        "request (scope ADMIN)."
    )
    async def set_persisted_queries_only(
        self,
        info: Info,
        enabled: Annotated[
            bool, strawberry.argument(description="true: persisted-only; false: any document.")
        ],
        api_key_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The key to switch; null: the whole organization."),
        ] = None,
    ) -> SetPersistedQueriesOnlyPayload:
        ctx = info.context
        ctx.require_scope(Scope.ADMIN)
        key = None
        if api_key_id is not None:
            pk = decode_id_of(api_key_id, "ApiKey")
            row = await ctx.tenant.api_keys().filter(id=pk).first() if pk is not None else None
            if row is None:
                missing = UserError(field=["apiKeyId"], message="No such API key", code="NOT_FOUND")
                return SetPersistedQueriesOnlyPayload(
                    api_key=None, organization=None, user_errors=[missing]
                )
            key = ApiKey.from_row(await api_keys.set_persisted_only(row, enabled))
        organization: models.Organization = await ctx.tenant.organization().get()
        if key is None:
            organization = await organizations.set_persisted_only(organization, enabled)
        return SetPersistedQueriesOnlyPayload(
            api_key=key, organization=Organization.from_row(organization), user_errors=[]
        )
