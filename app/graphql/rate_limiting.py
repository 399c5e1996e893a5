"""The rate-limit gate of the endpoint: one spend per request, headers, `extensions.cost`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app import models
from app.graphql.cost import CostPlan, actual_cost
from app.graphql.errors import RateLimited, ServiceUnavailable
from app.graphql.http_request import HttpError
from app.graphql.http_response import OUTAGES
from app.outages import Service
from app.services.rate_limit import (
    RateDecision,
    RateLimiter,
    RateLimiterUnavailable,
    effective_limit,
)
from app.settings import Settings

# When the limiter's store cannot be reached, clients retry after this many seconds.
UNAVAILABLE_RETRY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Spent:
    """What one request spent: the decision (None when rate limiting is off) and its headers."""

    decision: RateDecision | None
    headers: dict[str, str] = field(default_factory=dict)

    def cost_extension(
        self, plan: CostPlan, preparation: int, data: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """`extensions.cost` of the response: requested and actual cost, the preparation of a
        new document, and the budget."""
        if self.decision is None:
            return None
        return self.cost_extension_of(plan, preparation, actual_cost(plan, data))

    def cost_extension_of(
        self, plan: CostPlan, preparation: int, actual: int
    ) -> dict[str, Any] | None:
        """`extensions.cost` for an answer whose actual cost is known (a cached one)."""
        if self.decision is None:
            return None
        return {
            "cost": {
                "requested": plan.requested,
                "actual": actual,
                "preparation": preparation,
                "limit": self.decision.limit,
                "remaining": self.decision.remaining,
                "resetAt": reset_at_iso(self.decision),
            }
        }


def reset_at_iso(decision: RateDecision) -> str:
    """When the key's bucket is full again, as an ISO 8601 UTC time."""
    return datetime.fromtimestamp(math.ceil(decision.reset_at), UTC).isoformat()


def rate_headers(decision: RateDecision) -> dict[str, str]:
    """X-RateLimit-Limit, -Remaining and -Reset (unix seconds) of a decision."""
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(math.ceil(decision.reset_at)),
    }


class RateGate:
    """Spends a request's cost from its key's bucket, or refuses it with 429."""

    def __init__(self, limiter: RateLimiter | None, settings: Settings) -> None:
        self._limiter = limiter
        self._settings = settings

    def refuse_early(self, api_key: models.ApiKey) -> None:
        """HttpError 429 before the request is read, when its key is known not to hold a point.

        An exhausted key's requests then cost no preparation of their documents (and no Redis
        round trip): nothing but time refills a bucket.
        """
        if self._limiter is None:
            return
        limit = effective_limit(api_key.organization, self._settings)
        window = self._settings.rate_limit.window_seconds
        decision = self._limiter.known_refusal(api_key.id, 1, limit, window)
        if decision is not None:
            raise HttpError(
                429, _refusal(decision), {**rate_headers(decision), **_retry_after(decision)}
            )

    async def spend(self, api_key: models.ApiKey, cost: int) -> Spent:
        """Spend `cost` points of the key's budget; raises HttpError 429 or 503."""
        if self._limiter is None:
            return Spent(None)
        limit = effective_limit(api_key.organization, self._settings)
        try:
            decision = await self._limiter.spend(
                api_key.id, cost, limit, self._settings.rate_limit.window_seconds
            )
        except RateLimiterUnavailable as exc:
            OUTAGES.failed(Service.REDIS, exc)
            raise HttpError(
                503,
                ServiceUnavailable("The rate limiter cannot be reached; retry shortly"),
                {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
            ) from None
        headers = rate_headers(decision)
        if not decision.allowed:
            raise HttpError(429, _refusal(decision), {**headers, **_retry_after(decision)})
        return Spent(decision, headers)


def _refusal(decision: RateDecision) -> RateLimited:
    if decision.cost > decision.limit:
        return RateLimited(
            f"The operation costs {decision.cost} points, more than the key's whole budget of "
            f"{decision.limit}",
            cost=decision.cost,
            limit=decision.limit,
        )
    wait = math.ceil(decision.retry_after or 0)
    return RateLimited(
        f"Rate limit exceeded: the operation costs {decision.cost} points and "
        f"{decision.remaining} remain; retry in {wait} s",
        cost=decision.cost,
        remaining=decision.remaining,
        limit=decision.limit,
        retryAfter=wait,
        resetAt=reset_at_iso(decision),
    )


def _retry_after(decision: RateDecision) -> dict[str, str]:
    seconds = decision.retry_after
    if seconds is None:
        seconds = max(0.0, decision.reset_at - datetime.now(UTC).timestamp())
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
