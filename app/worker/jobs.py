"""Worker jobs: refresh one profile key, and enqueue every key that is due.

Job ids deduplicate (`<queue>:refresh_profile:<platform>:<handle>`), a job re-checks that its key is
still due before fetching, and writing a result twice changes nothing, so two schedulers, two
workers or a job run again after a crash never refresh a profile twice in one interval.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import Retry

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.platforms.errors import RateLimited, UpstreamError
from app.services.refresh import PlatformClients, refresh_profile

logger = logging.getLogger("creatoraudit.worker")

MAX_TRANSIENT_TRIES = 5
DEPS = "creatoraudit.deps"


@dataclass(frozen=True, slots=True)
class WorkerDeps:
    """What jobs need, opened once in the worker's startup."""

    clients: PlatformClients
    queue_name: str
    backoff_base_seconds: float = 10.0
    max_backoff_seconds: float = 3600.0


def deps(ctx: dict[str, Any]) -> WorkerDeps:
    """The typed dependencies in arq's untyped job context."""
    value: WorkerDeps = ctx[DEPS]
    return value


def backoff(deps: WorkerDeps, attempt: int) -> float:
    """Exponential back-off with full jitter: up to base × 2^(attempt−1), capped."""
    ceiling = min(deps.max_backoff_seconds, deps.backoff_base_seconds * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def job_id(queue_name: str, platform: str, handle: str) -> str:
    """The id that makes a profile's refresh job unique (queued, running, or just done)."""
    return f"{queue_name}:refresh_profile:{platform}:{handle}"


async def _is_due(platform: Platform, handle: str, now: datetime) -> bool:
    return await models.Account.filter(
        platform=platform, handle=handle, next_scrape_at__lte=now
    ).exists()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt's outcome: a final result, or a delay before the next attempt."""

    result: str | None = None
    retry_in: float | None = None


async def attempt_refresh(
    dependencies: WorkerDeps, platform: str, handle: str, attempt: int
) -> Attempt:
    """Refresh one (platform, handle) for every organization tracking it, if still due.

    Shared by the arq job and the embedded refresher, which differ only in how they wait.
    """
    now = datetime.now(UTC)
    key = Platform(platform)
    if not await _is_due(key, handle, now):
        return Attempt(result="not due")
    try:
        result = await refresh_profile(key, handle, dependencies.clients, now=now)
    except RateLimited as exc:
        logger.info(
            "worker.throttled", extra={"platform": platform, "retry_after": exc.retry_after}
        )
        return Attempt(retry_in=exc.retry_after)
    except UpstreamError as exc:
        if attempt < MAX_TRANSIENT_TRIES:
            return Attempt(retry_in=backoff(dependencies, attempt))
        await _give_up(key, handle, exc.message, now)
        return Attempt(result="error")
    return Attempt(result=result.availability.value)


async def refresh_profile_job(ctx: dict[str, Any], platform: str, handle: str) -> str:
    """arq job: one refresh attempt; throttling and transient failures re-queue it."""
    outcome = await attempt_refresh(deps(ctx), platform, handle, int(ctx.get("job_try", 1)))
    if outcome.retry_in is not None:
        raise Retry(defer=outcome.retry_in)
    return outcome.result or ""


async def _give_up(platform: Platform, handle: str, message: str, now: datetime) -> None:
    """After the last retry: ERROR with the message, and try again next interval."""
    for account in await models.Account.filter(platform=platform, handle=handle):
        await models.Account.filter(id=account.id).update(
            availability=Availability.ERROR,
            last_error=message,
            last_error_at=now,
            next_scrape_at=now + timedelta(hours=account.scrape_interval_hours),
        )


async def due_profiles(now: datetime, limit: int = 5000) -> list[tuple[str, str]]:
    """The (platform, handle) keys with at least one account due for a refresh."""
    rows = (
        await models.Account.filter(next_scrape_at__lte=now)
        .order_by("next_scrape_at")
        .limit(limit)
        .values_list("platform", "handle")
    )
    return list(dict.fromkeys((str(Platform(p)), str(h)) for p, h in rows))


async def schedule_due(ctx: dict[str, Any]) -> int:
    """Enqueue a refresh for every due profile key (duplicates are dropped by job id)."""
    redis = ctx["redis"]
    queued = 0
    for platform, handle in await due_profiles(datetime.now(UTC)):
        job = await redis.enqueue_job(
            "refresh_profile_job",
            platform,
            handle,
            _job_id=job_id(deps(ctx).queue_name, platform, handle),
            _queue_name=deps(ctx).queue_name,
        )
        queued += job is not None
    return queued
