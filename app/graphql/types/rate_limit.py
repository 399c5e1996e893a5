"""The `rateLimit` field: what this request cost and what is left of the key's budget."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import strawberry

from app.graphql.context import Info


@strawberry.type(
    description="The API key's cost budget after this request (README: the cost model). The "
    "same numbers are in the response's `extensions.cost` and X-RateLimit-* headers."
)
class RateLimit:
    """The key's rate-limit state."""

    limit: int = strawberry.field(description="Points the key's bucket holds when full.")
    cost: int = strawberry.field(
        description="Points this request was charged: its requested cost, plus the "
        "preparation of a document this API process had not prepared before (README: cost "
        "model)."
    )
    remaining: int = strawberry.field(description="Points left after this request.")
    reset_at: datetime = strawberry.field(
        description="When the bucket is full again (it refills continuously)."
    )


@strawberry.type
class RateLimitQueries:
    """Root field of the rate limit."""

    @strawberry.field(
        description="The API key's cost budget after this request; null when the deployment "
        "does not rate-limit."
    )
    def rate_limit(self, info: Info) -> RateLimit | None:
        decision = info.context.rate_limit
        if decision is None:
            return None
        return RateLimit(
            limit=decision.limit,
            cost=decision.cost,
            remaining=decision.remaining,
            reset_at=datetime.fromtimestamp(math.ceil(decision.reset_at), UTC),
        )
