"""How long a refresh job waits before its next attempt: back-off and throttling waits."""

from __future__ import annotations

import random

from app.platforms.errors import RateLimited
from app.settings import WorkerSettings

__all__ = ["backoff", "jittered", "throttle_wait"]


def jittered(ceiling: float) -> float:
    """A wait between half of `ceiling` and all of it (so retries do not stampede)."""
    return random.uniform(ceiling / 2, ceiling)


def backoff(settings: WorkerSettings, failures: int) -> float:
    """Exponential back-off with jitter after `failures` transient failures, capped."""
    base = settings.backoff_base_seconds * 2 ** (failures - 1)
    return jittered(min(settings.max_backoff_seconds, base))


def throttle_wait(settings: WorkerSettings, exc: RateLimited, throttles: int) -> float:
    """How long to wait after being throttled: the platform's word, else growing waits."""
    if exc.retry_after is not None:
        wait = exc.retry_after + random.uniform(0, min(5.0, exc.retry_after * 0.05))
    else:
        base = settings.throttle_backoff_seconds * 2 ** (throttles - 1)
        wait = jittered(min(settings.max_backoff_seconds, base))
    return min(wait, settings.max_throttle_wait_seconds)
