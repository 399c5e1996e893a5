"""Worker jobs: refresh one profile or one post upstream, and enqueue everything that is due.

A refresh is keyed by what is fetched upstream — (platform, handle) for a profile, (platform,
media id) for an individual post — not by organization, so the same profile or post tracked by
several organizations is fetched once. Job ids deduplicate (`<queue>:refresh_<kind>:<platform>:
<key>`), a job re-checks that its key is still due before fetching, and writing a result twice
changes nothing, so two schedulers, two workers or a job run again after a crash never refresh
anything twice in one interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from arq import Retry

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.outages import OutageLog, outage_of
from app.platforms.errors import RateLimited, UpstreamError
from app.platforms.interface import ReadKind
from app.services.recording import RecordRetry, failure_message, record_unavailable
from app.services.refresh import PlatformClients, RefreshResult, refresh_profile
from app.services.video_refresh import refresh_video
from app.settings import WorkerSettings
from app.worker.backoff import backoff, jittered, throttle_wait
from app.worker.due import due_refreshes

logger = logging.getLogger("creatoraudit.worker")

DEPS = "creatoraudit.deps"
TRIES_TTL_SECONDS = 7 * 86400

# Database and Redis outages met by jobs in this process: logged once when each starts and ends.
_OUTAGES = OutageLog("the worker (a job)")


Kind = ReadKind  # what a refresh job fetches: a profile (and its feed) or one post


@dataclass(frozen=True, slots=True)
class WorkerDeps:
    """What jobs need, opened once in the worker's startup."""

    clients: PlatformClients
    queue_name: str
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    # Seconds an attempt may take by kind (app.worker.timeouts); a kind absent: no limit.
    deadlines: Mapping[Kind, float] = field(default_factory=dict)


def deps(ctx: dict[str, Any]) -> WorkerDeps:
    """The typed dependencies in arq's untyped job context."""
    value: WorkerDeps = ctx[DEPS]
    return value


def job_id(queue_name: str, kind: Kind | str, platform: str, key: str) -> str:
    """The id that makes a refresh job unique (queued, running, or just done)."""
    return f"{queue_name}:refresh_{kind}:{platform}:{key}"


@dataclass(slots=True)
class Tries:
    """Failed attempts so far: transient failures and failures of ours (`failed`) count
    towards giving up, each against its own limit; throttling does not."""

    transient: int = 0
    throttled: int = 0
    failed: int = 0

    def counts(self) -> dict[str, int]:
        """The counts by name, as kept in Redis between attempts."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt's outcome: a final result, or a delay before the next attempt."""

    result: str | None = None
    retry_in: float | None = None


async def _is_due(kind: Kind, platform: Platform, key: str, now: datetime) -> bool:
    if kind is Kind.PROFILE:
        return await models.Account.filter(
            platform=platform, handle=key, next_scrape_at__lte=now
        ).exists()
    return await models.Video.filter(
        platform=platform, platform_video_id=key, is_individual=True, next_scrape_at__lte=now
    ).exists()


_REFRESH: dict[Kind, Callable[..., Awaitable[RefreshResult]]] = {
    Kind.PROFILE: refresh_profile,
    Kind.VIDEO: refresh_video,
}


async def attempt_refresh(
    dependencies: WorkerDeps, kind: Kind, platform: str, key: str, tries: Tries
) -> Attempt:
    """Refresh one upstream profile or post for every organization tracking it, if still due.

    Shared by the arq jobs and the embedded refresher, which differ only in how they wait;
    `tries` is updated in place. A failure that is not upstream's (a database error, a bug)
    is retried after a pause up to `max_failed_attempts` times, then the rows go to ERROR.
    An outage of the database or Redis is raised as it is: the callers wait it out, and it
    never counts as a failure.
    """
    try:
        return await _attempt(dependencies, kind, platform, key, tries)
    except Exception as error:  # not the platform's: upstream errors are handled inside
        if outage_of(error) is not None:
            raise
        return await _failed(dependencies.settings, kind, platform, key, tries, error)


async def _failed(
    settings: WorkerSettings, kind: Kind, platform: str, key: str, tries: Tries, error: Exception
) -> Attempt:
    tries.failed += 1
    extra = {"platform": platform, "kind": str(kind), "key": key, "attempt": tries.failed}
    logger.error("worker.failed", extra=extra, exc_info=error)
    if tries.failed < settings.max_failed_attempts:
        wait = settings.failure_backoff_seconds * 2 ** (tries.failed - 1)
        return Attempt(retry_in=min(wait, settings.max_backoff_seconds))
    # If this write fails too (the database is gone), the job fails: the schedule enqueues
    # it again once the object is due, and the count in `tries` carries on from here.
    message = failure_message("refreshing", tries.failed, error)
    await _give_up(kind, Platform(platform), key, message, datetime.now(UTC))
    logger.warning("worker.gave_up", extra=extra)
    return Attempt(result="error")


async def _attempt(
    dependencies: WorkerDeps, kind: Kind, platform: str, key: str, tries: Tries
) -> Attempt:
    now = datetime.now(UTC)
    deadline = dependencies.deadlines.get(kind)
    expires = None if deadline is None else asyncio.get_running_loop().time() + deadline
    target = Platform(platform)
    if not await _is_due(kind, target, key, now):
        return Attempt(result="not due")
    clients = dependencies.clients
    # Wait for budget outside the job: a full window defers it rather than holding a slot.
    # What a refresh usually costs is reserved before it starts (each client's
    # `expected_requests`); more (owner insights, extra pages) is taken as it goes.
    wait = await clients.reserve(target, clients.expected_requests(target, kind))
    if wait > 0:
        return Attempt(retry_in=wait)
    try:
        settings = dependencies.settings
        retry = RecordRetry(settings.max_failed_attempts, settings.failure_backoff_seconds)
        refresh = _REFRESH[kind](target, key, clients, retry=retry)
        result = await _within(expires, refresh, target, deadline)
    except RateLimited as exc:
        tries.throttled += 1
        wait = throttle_wait(dependencies.settings, exc, tries.throttled)
        logger.info(
            "worker.throttled",
            extra={"platform": platform, "kind": str(kind), "key": key, "wait": round(wait, 1)},
        )
        return Attempt(retry_in=wait)
    except UpstreamError as exc:
        tries.transient += 1
        if tries.transient < dependencies.settings.max_transient_tries:
            return Attempt(retry_in=backoff(dependencies.settings, tries.transient))
        await _give_up(kind, target, key, exc.message, now)
        logger.warning(
            "worker.gave_up", extra={"platform": platform, "kind": str(kind), "key": key}
        )
        return Attempt(result="error")
    finally:
        await clients.release(target)
    return Attempt(result=result.availability.value)


async def _within(
    expires: float | None,
    refresh: Awaitable[RefreshResult],
    platform: Platform,
    deadline: float | None,
) -> RefreshResult:
    """The refresh, cancelled at `expires` (loop time) as a transient failure: retried later.

    Cancelling rolls back the write under way; what committed before it is written again,
    idempotently, by the next attempt.
    """
    timeout = asyncio.timeout_at(expires)
    try:
        async with timeout:
            return await refresh
    except TimeoutError as error:
        if not timeout.expired():
            raise  # a statement or socket timeout inside: not ours to judge here
        message = f"the refresh took longer than its job timeout ({deadline or 0:g} s)"
        raise UpstreamError(platform, message, transient=True) from error


async def _run(ctx: dict[str, Any], kind: Kind, platform: str, key: str) -> str:
    """One attempt inside arq; the failure counts live in Redis beside the job."""
    redis = ctx["redis"]
    tries_key = f"{ctx.get('job_id', job_id(deps(ctx).queue_name, kind, platform, key))}:tries"
    stored = {k.decode(): int(v) for k, v in (await redis.hgetall(tries_key)).items()}
    tries = Tries(**{k: v for k, v in stored.items() if k in Tries.__slots__})
    outcome = await attempt_refresh(deps(ctx), kind, platform, key, tries)
    if outcome.retry_in is not None:
        await redis.hset(tries_key, mapping=tries.counts())
        await redis.expire(tries_key, TRIES_TTL_SECONDS)
        raise Retry(defer=outcome.retry_in)
    await redis.delete(tries_key)
    return outcome.result or ""


async def _run_through_outages(ctx: dict[str, Any], kind: Kind, platform: str, key: str) -> str:
    """`_run`, re-queued while the database or Redis is down (not counted as a failed try)."""
    try:
        result = await _run(ctx, kind, platform, key)
    except Exception as exc:
        service = outage_of(exc)
        if service is None:
            raise
        _OUTAGES.failed(service, exc)
        # Still due in the database too: if Redis cannot take the retry, the schedule will.
        raise Retry(defer=jittered(deps(ctx).settings.outage_retry_seconds)) from None
    _OUTAGES.recovered_all()
    return result


async def refresh_profile_job(ctx: dict[str, Any], platform: str, handle: str) -> str:
    """arq job: refresh one (platform, handle); throttling and transient failures re-queue it."""
    return await _run_through_outages(ctx, Kind.PROFILE, platform, handle)


async def refresh_video_job(ctx: dict[str, Any], platform: str, media_id: str) -> str:
    """arq job: refresh one individual post; throttling and transient failures re-queue it."""
    return await _run_through_outages(ctx, Kind.VIDEO, platform, media_id)


async def _give_up(kind: Kind, platform: Platform, key: str, message: str, now: datetime) -> None:
    """After the last retry: ERROR with the message, and try again next interval."""
    rows: list[models.Account] | list[models.Video]
    if kind is Kind.PROFILE:
        rows = await models.Account.filter(platform=platform, handle=key)
    else:
        rows = await models.Video.filter(
            platform=platform, platform_video_id=key, is_individual=True
        )
    await record_unavailable(rows, Availability.ERROR, message, now)


JOB_FUNCTIONS = {Kind.PROFILE: "refresh_profile_job", Kind.VIDEO: "refresh_video_job"}


async def enqueue_refresh(redis: Any, queue_name: str, kind: Kind, platform: str, key: str) -> bool:
    """Enqueue a refresh job; False when one with the same id is queued, running or just done."""
    job = await redis.enqueue_job(
        JOB_FUNCTIONS[kind],
        platform,
        key,
        _job_id=job_id(queue_name, kind, platform, key),
        _queue_name=queue_name,
    )
    return job is not None


async def schedule_due(ctx: dict[str, Any]) -> int:
    """Enqueue a refresh for everything due (duplicates are dropped by job id).

    During a database or Redis outage it enqueues what it can and stops; what is left stays
    due, and the next run (every minute) picks it up.
    """
    queued = 0
    try:
        for kind, platform, key in await due_refreshes(datetime.now(UTC)):
            queued += await enqueue_refresh(ctx["redis"], deps(ctx).queue_name, kind, platform, key)
    except Exception as exc:
        service = outage_of(exc)
        if service is None:
            raise
        _OUTAGES.failed(service, exc)
        return queued
    _OUTAGES.recovered_all()
    return queued
