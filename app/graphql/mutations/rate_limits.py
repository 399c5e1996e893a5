"""The mutation by which an organization chooses its API keys' rate limit (scope ADMIN)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.errors import UserError, user_error
from app.graphql.types.rate_limit_policy import RateLimitPolicy
from app.models import Scope
from app.services import rate_limit as service
from app.services.rate_limit import MIN_CHOSEN_POINTS


@strawberry.type(description="Result of setRateLimit.")
class SetRateLimitPayload:
    """The policy now in force."""

    rate_limit_policy: RateLimitPolicy = strawberry.field(
        description="The organization's rate limit after the mutation (unchanged when refused)."
    )
    user_errors: list[UserError] = strawberry.field(description="Expected problems.")


@strawberry.type
class RateLimitMutations:
    """Rate-limit mutations (scope ADMIN)."""

    @strawberry.mutation(
        description="Choose how many cost points each of the organization's API keys gets per "
        "window: lower than the ceiling, or back up to it, never above it (LIMIT_EXCEEDED). "
        "Takes effect from the next request (scope ADMIN)."
    )
    async def set_rate_limit(
        self,
        info: Info,
        points: Annotated[
            int | None,
            strawberry.argument(
                description=f"Points per API key and window, at least {MIN_CHOSEN_POINTS} (so "
                "that this mutation always fits) and at most the ceiling "
                "(rateLimitPolicy.ceiling); null restores the default (the ceiling)."
            ),
        ] = None,
    ) -> SetRateLimitPayload:
        ctx = info.context
        ctx.require_scope(Scope.ADMIN)
        # A fresh row: the operator may have changed the ceiling since the key was looked up.
        row: models.Organization = await ctx.tenant.organization().get()
        try:
            policy = await service.choose_points(row, points, ctx.settings)
        except service.PointsAboveCeiling as exc:
            message = f"At most {exc.ceiling} points: this organization's ceiling"
            return _refused(row, info, user_error("LIMIT_EXCEEDED", message, "points"))
        except ValueError as exc:
            return _refused(row, info, user_error("INVALID_POINTS", str(exc), "points"))
        return SetRateLimitPayload(rate_limit_policy=RateLimitPolicy.of(policy), user_errors=[])


def _refused(row: models.Organization, info: Info, error: UserError) -> SetRateLimitPayload:
    policy = service.policy_of(row, info.context.settings)
    return SetRateLimitPayload(rate_limit_policy=RateLimitPolicy.of(policy), user_errors=[error])
