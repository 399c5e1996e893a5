"""Cost-based rate limiting per API key: token buckets in Redis or in memory, and their sizes."""

from app.services.rate_limit.bucket import (
    LocalRateLimiter,
    RateDecision,
    RateLimiter,
    RateLimiterUnavailable,
)
from app.services.rate_limit.policy import (
    MAX_POINTS,
    MIN_CHOSEN_POINTS,
    Keep,
    PointsAboveCeiling,
    RateLimitPolicy,
    choose_points,
    describe_policy,
    effective_limit,
    policy_of,
    set_operator_limits,
)
from app.services.rate_limit.shared import RedisRateLimiter

__all__ = [
    "MAX_POINTS",
    "MIN_CHOSEN_POINTS",
    "Keep",
    "LocalRateLimiter",
    "PointsAboveCeiling",
    "RateDecision",
    "RateLimitPolicy",
    "RateLimiter",
    "RateLimiterUnavailable",
    "RedisRateLimiter",
    "choose_points",
    "describe_policy",
    "effective_limit",
    "policy_of",
    "set_operator_limits",
]
