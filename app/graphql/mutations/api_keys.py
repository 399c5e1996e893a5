"""Mutations that create and revoke API keys (scope ADMIN)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from app.graphql.context import Info
from app.graphql.errors import UserError
from app.graphql.ids import decode_id_of
from app.graphql.mutations.support import IDEMPOTENCY_KEY_DESCRIPTION, idempotent, stored_problems
from app.graphql.types.organization import ApiKey, ApiKeyScope
from app.models import Scope
from app.security.crypto import SecretBox
from app.services import api_keys as service
from app.services.outcomes import Outcome


@strawberry.type(description="Result of createApiKey.")
class CreateApiKeyPayload:
    """The new key and, this once, its secret."""

    api_key: ApiKey | None = strawberry.field(description="The new key.")
    secret: str | None = strawberry.field(
        description="The full key, shown only in this response (and its idempotent retries). "
        "Send it as `Authorization: Bearer <secret>`."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type(description="Result of revokeApiKey.")
class RevokeApiKeyPayload:
    """The revoked key."""

    api_key: ApiKey | None = strawberry.field(description="The key, now revoked.")
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type
class ApiKeyMutations:
    """API key mutations (scope ADMIN)."""

    @strawberry.mutation(description="Create an API key for the organization (scope ADMIN).")
    async def create_api_key(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="A name to recognise the key.")],
        scope: Annotated[
            ApiKeyScope, strawberry.argument(description="READ, WRITE or ADMIN.")
        ] = Scope.READ,
        persisted_queries_only: Annotated[
            bool, strawberry.argument(description="Allow only trusted (persisted) documents.")
        ] = False,
        idempotency_key: Annotated[
            str | None, strawberry.argument(description=IDEMPOTENCY_KEY_DESCRIPTION)
        ] = None,
    ) -> CreateApiKeyPayload:
        ctx = info.context
        ctx.require_scope(Scope.ADMIN)
        box = SecretBox(ctx.settings.secret_key.get_secret_value())
        cleaned = " ".join(name.split())

        async def perform() -> Outcome[Any]:
            if not 1 <= len(cleaned) <= 200:
                return Outcome.fail("INVALID_NAME", "The name must hold 1–200 characters", "name")
            issued = await service.create_api_key(
                ctx.organization.id,
                cleaned,
                Scope(scope),
                persisted_queries_only=persisted_queries_only,
            )
            return Outcome(value=issued, created=True)

        result = await idempotent(
            info,
            "createApiKey",
            idempotency_key,
            {"name": name, "scope": scope, "p": persisted_queries_only},
            perform,
            # The replayable secret is kept sealed, and only as long as the idempotency record.
            lambda o: {
                "id": o.value.api_key.id if o.value else None,
                "sealed": box.seal(o.value.secret) if o.value else None,
            },
        )
        api_key = None
        if result["id"] is not None:
            row = await ctx.tenant.api_keys().filter(id=result["id"]).first()
            api_key = ApiKey.from_row(row) if row else None
        secret = box.open(result["sealed"]) if result.get("sealed") else None
        return CreateApiKeyPayload(
            api_key=api_key,
            secret=secret if api_key else None,
            user_errors=stored_problems(result),
        )

    @strawberry.mutation(
        description="Revoke an API key of the organization; it is refused from the next "
        "request on (scope ADMIN)."
    )
    async def revoke_api_key(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Key id.")]
    ) -> RevokeApiKeyPayload:
        ctx = info.context
        ctx.require_scope(Scope.ADMIN)
        pk = decode_id_of(id, "ApiKey")
        row = await ctx.tenant.api_keys().filter(id=pk).first() if pk is not None else None
        if row is None:
            return RevokeApiKeyPayload(
                api_key=None,
                user_errors=[UserError(field=["id"], message="No such API key", code="NOT_FOUND")],
            )
        return RevokeApiKeyPayload(
            api_key=ApiKey.from_row(await service.revoke_api_key(row)), user_errors=[]
        )
