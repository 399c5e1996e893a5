"""An organization's rate-limit policy: how many cost points each of its API keys gets."""

from __future__ import annotations

import strawberry

from app.services import rate_limit


@strawberry.type(
    description="How many cost points each API key of the organization gets per window "
    "(README: rate limits). A key's bucket holds `points` and refills continuously: empty, it "
    "is full again after `windowSeconds`."
)
class RateLimitPolicy:
    """An organization's rate limit and where it comes from."""

    points: int = strawberry.field(
        description="Points per API key and window now in force: the organization's choice, "
        "capped at the ceiling, else the ceiling."
    )
    ceiling: int = strawberry.field(
        description="The most the organization may choose with setRateLimit: the ceiling the "
        "operator set for it, else the deployment default."
    )
    chosen_points: int | None = strawberry.field(
        description="The organization's own choice (setRateLimit); null: it has none, the "
        "ceiling applies."
    )
    window_seconds: float = strawberry.field(
        description="Seconds an empty bucket takes to fill up again."
    )

    @classmethod
    def of(cls, policy: rate_limit.RateLimitPolicy) -> RateLimitPolicy:
        """Expose a service policy."""
        return cls(
            points=policy.points,
            ceiling=policy.ceiling,
            chosen_points=policy.chosen_points,
            window_seconds=policy.window_seconds,
        )
