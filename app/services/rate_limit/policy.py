"""Bucket sizes per organization: the default, the operator's ceiling, the organization's choice."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app import models
from app.metrics import versions
from app.settings import Settings

# GraphQL Int is 32-bit; far below that, a bucket this size still refills exactly (bucket.py).
MAX_POINTS = 10_000_000
# The least an organization may choose itself: below a mutation's cost, it could no longer run
# setRateLimit to undo its choice (only the operator could).
MIN_CHOSEN_POINTS = 100


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """An organization's rate limit per API key, and where it comes from."""

    # Points per key and window: what the limiter is given.
    points: int
    # The most the organization may choose itself: the operator's ceiling, else the default.
    ceiling: int
    # The operator's ceiling for this organization; None: the deployment default applies.
    operator_ceiling: int | None
    # The organization's own choice; None: the ceiling.
    chosen_points: int | None
    window_seconds: float


class Keep(Enum):
    """Leave a setting as it is (where None means "back to the default")."""

    KEEP = "keep"


class PointsAboveCeiling(ValueError):
    """An organization asked for more points than its ceiling allows."""

    def __init__(self, points: int, ceiling: int) -> None:
        super().__init__(f"{points} points is above this organization's ceiling of {ceiling}")
        self.points = points
        self.ceiling = ceiling


def ceiling_of(organization: models.Organization, settings: Settings) -> int:
    """The most points an organization may choose for itself."""
    if organization.rate_limit_ceiling is not None:
        return organization.rate_limit_ceiling
    return settings.rate_limit.points


def effective_limit(organization: models.Organization, settings: Settings) -> int:
    """Points per API key and window: the organization's choice capped at its ceiling, else the
    ceiling, else the deployment default."""
    chosen, operator_ceiling = organization.rate_limit_points, organization.rate_limit_ceiling
    if chosen is None:
        return ceiling_of(organization, settings)
    # Without an operator ceiling, an operator-set choice may exceed the default (CLI only).
    return chosen if operator_ceiling is None else min(chosen, operator_ceiling)


def policy_of(organization: models.Organization, settings: Settings) -> RateLimitPolicy:
    """The organization's rate limit and its parts."""
    return RateLimitPolicy(
        points=effective_limit(organization, settings),
        ceiling=ceiling_of(organization, settings),
        operator_ceiling=organization.rate_limit_ceiling,
        chosen_points=organization.rate_limit_points,
        window_seconds=settings.rate_limit.window_seconds,
    )


def check_points(points: int, name: str = "points", least: int = 1) -> None:
    """Raise ValueError unless `points` is a bucket size the limiter takes."""
    if not least <= points <= MAX_POINTS:
        raise ValueError(f"{name} must be between {least} and {MAX_POINTS:,}, not {points}")


async def choose_points(
    organization: models.Organization, points: int | None, settings: Settings
) -> RateLimitPolicy:
    """The organization's own choice (None: back to the default), never above its ceiling.

    Raises PointsAboveCeiling above the ceiling, ValueError below MIN_CHOSEN_POINTS.
    """
    if points is not None:
        most = ceiling_of(organization, settings)
        if points > most:
            raise PointsAboveCeiling(points, most)
        check_points(points, least=MIN_CHOSEN_POINTS)
    # An operator lowering the ceiling meanwhile is harmless: effective_limit caps the choice.
    async with versions.writing(organization.id):  # Organization.rateLimitPolicy changes
        await models.Organization.filter(id=organization.id).update(rate_limit_points=points)
    organization.rate_limit_points = points
    return policy_of(organization, settings)


async def set_operator_limits(
    organization: models.Organization,
    settings: Settings,
    *,
    ceiling: int | Keep | None = Keep.KEEP,
    points: int | Keep | None = Keep.KEEP,
) -> RateLimitPolicy:
    """Set the operator's ceiling and/or the organization's points (None: back to the default).

    No check against the ceiling: the operator decides; effective_limit caps the points.
    """
    changes: dict[str, int | None] = {}
    if ceiling is not Keep.KEEP:
        changes["rate_limit_ceiling"] = ceiling
    if points is not Keep.KEEP:
        changes["rate_limit_points"] = points
    for name, value in changes.items():
        if value is not None:
            check_points(value, name.removeprefix("rate_limit_"))
    if changes:
        async with versions.writing(organization.id):
            await models.Organization.filter(id=organization.id).update(**changes)
        for name, value in changes.items():
            setattr(organization, name, value)
    return policy_of(organization, settings)


def describe_policy(organization: models.Organization, policy: RateLimitPolicy) -> str:
    """The policy in a few lines, for the operator's terminal."""
    window = f"{policy.window_seconds:g}"
    if policy.operator_ceiling is None:
        ceiling = f"none ({policy.ceiling} may be chosen: the deployment default)"
    else:
        ceiling = f"{policy.operator_ceiling} (set by the operator)"
    if policy.chosen_points is None:
        chosen = "none (the ceiling applies)"
    elif policy.chosen_points > policy.points:
        chosen = f"{policy.chosen_points} (capped at the ceiling)"
    else:
        chosen = str(policy.chosen_points)
    return (
        f"organization {organization.id} {organization.name!r}: "
        f"{policy.points} points per API key every {window} s\n"
        f"  ceiling: {ceiling}\n"
        f"  own choice: {chosen}"
    )
