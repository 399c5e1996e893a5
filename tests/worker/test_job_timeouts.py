"""Refresh job timeouts: sized from the expected requests, given to arq, and the bound they set
on re-running a killed worker's jobs.

Real Redis, real PostgreSQL (or SQLite), real `creatoraudit worker` processes, the simulator
over HTTP slowed down so a refresh is in flight when its worker is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from pydantic import ValidationError

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.platforms.clients import most_expected_requests
from app.platforms.interface import ReadKind
from app.settings import JOB_GRACE_SECONDS, Settings, TimeoutSettings, WorkerSettings
from app.simulator.app import FAULTS
from app.worker.jobs import job_id
from app.worker.runner import build_worker
from app.worker.timeouts import ARQ_IN_PROGRESS_EXTRA_SECONDS, job_timeouts
from tests.conftest import Org
from tests.platforms.test_tiktok_client import tiktok_state
from tests.worker.test_jobs import (  # noqa: F401  (fixtures)
    _track,
    fast_retries,
    pointed_at,
    redis,
    run_workers,
    simulator,
)
from tests.worker.test_reliability import _start_worker

TT = Platform.TIKTOK
ARQ_POLL_SECONDS = 0.5  # arq's default poll_delay, which `creatoraudit worker` keeps


def _settings(upstream: float, statement: float, job: float | None = None) -> Settings:
    return Settings(
        worker=WorkerSettings(upstream_timeout_seconds=upstream, job_timeout_seconds=job),
        timeouts=TimeoutSettings(database_worker_statement_seconds=statement),
    )


def test_the_default_timeouts_rerun_a_killed_workers_jobs_within_about_a_minute() -> None:
    timeouts = job_timeouts(Settings())
    # TikTok's profile read: the profile and three 30-day feed slices, 10 s each, + 2 × 5 s
    # for the write; one post: one request.
    assert most_expected_requests(ReadKind.PROFILE) == 4
    assert most_expected_requests(ReadKind.VIDEO) == 1
    assert dict(timeouts.refresh) == {ReadKind.PROFILE: 50.0, ReadKind.VIDEO: 20.0}
    assert timeouts.deadline(ReadKind.PROFILE) == 48.0
    assert timeouts.in_progress_seconds == 60.0
    assert timeouts.rerun_bound(ARQ_POLL_SECONDS) == 60.5  # was 300 + 10 s
    # A statement stuck on a lock, and its cancellation, end before the job is cancelled.
    statement = Settings().timeouts.database_worker_statement_seconds
    assert all(2 * statement < seconds for seconds in timeouts.refresh.values())


def test_the_timeouts_follow_the_upstream_and_statement_timeouts() -> None:
    timeouts = job_timeouts(_settings(upstream=3, statement=1.5))
    for kind in ReadKind:
        assert timeouts.refresh[kind] == most_expected_requests(kind) * 3 + 2 * 1.5
        assert timeouts.deadline(kind) == timeouts.refresh[kind] - JOB_GRACE_SECONDS
    assert timeouts.in_progress_seconds == 15 + ARQ_IN_PROGRESS_EXTRA_SECONDS
    # However small the parts, a job keeps a second of work after its grace.
    tiny = job_timeouts(_settings(upstream=0.01, statement=0.01))
    assert min(tiny.refresh.values()) == JOB_GRACE_SECONDS + 1


def test_an_operator_override_applies_to_every_refresh_and_must_fit_a_statement() -> None:
    timeouts = job_timeouts(_settings(upstream=10, statement=5, job=240))
    assert set(timeouts.refresh.values()) == {240.0}
    assert timeouts.in_progress_seconds == 250.0
    # Twice the statement timeout + the grace must fit in it: 2 × 5 + 2 = 12.
    assert job_timeouts(_settings(upstream=10, statement=5, job=12)).longest == 12
    with pytest.raises(ValidationError, match="at least twice"):
        _settings(upstream=10, statement=5, job=11.9)
    with pytest.raises(ValidationError):
        WorkerSettings(job_timeout_seconds=JOB_GRACE_SECONDS)  # no time left for the job
    with pytest.raises(ValidationError):
        TimeoutSettings(database_worker_statement_seconds=0)


def test_the_environment_sets_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATORAUDIT_WORKER__JOB_TIMEOUT_SECONDS", "90")
    assert Settings().worker.job_timeout_seconds == 90
    monkeypatch.setenv("CREATORAUDIT_TIMEOUTS__DATABASE_WORKER_STATEMENT_SECONDS", "60")
    with pytest.raises(ValidationError, match="at least twice"):
        Settings()


@pytest.mark.parametrize("job", [None, 33.0])
async def test_arqs_worker_gets_the_timeouts(job: float | None) -> None:
    settings = _settings(upstream=4, statement=2, job=job).model_copy(
        update={"redis_url": "redis://127.0.0.1:6379/0"}
    )
    timeouts = job_timeouts(settings)
    worker = build_worker(settings, handle_signals=False)
    functions = worker.functions
    assert functions["refresh_profile_job"].timeout_s == timeouts.refresh[ReadKind.PROFILE]
    assert functions["refresh_video_job"].timeout_s == timeouts.refresh[ReadKind.VIDEO]
    # The scheduler (and its cron entry) take the worker's default: the longest.
    assert functions["schedule_due"].timeout_s is None
    assert worker.job_timeout_s == timeouts.longest
    # arq's in-progress mark of every started job: what a killed worker leaves behind.
    assert worker.in_progress_timeout_s == timeouts.in_progress_seconds
    if job is None:
        assert timeouts.refresh[ReadKind.PROFILE] == 4 * 4 + 2 * 2
    else:
        assert worker.in_progress_timeout_s == job + 10


async def test_a_refresh_over_its_deadline_is_a_transient_failure_then_error(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    account = await _track(org, TT, f"slow.{org.id}")
    simulator.app[FAULTS].latency_ms = 1500  # each data request: 1.5 s, the deadline: 1 s
    worker = fast_retries(job_timeout_seconds=JOB_GRACE_SECONDS + 1, max_transient_tries=2)
    await run_workers(settings, simulator, redis, worker=worker)
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ERROR
    assert row.last_error == "the refresh took longer than its job timeout (1 s)"
    assert row.last_error_at is not None
    assert row.next_scrape_at == row.last_error_at + timedelta(hours=24)  # next interval
    assert await models.AccountSnapshot.filter(account_id=account.id).count() == 0


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float) -> float:
    """Wait for `condition`; return the loop time it became true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return loop.time()


async def test_a_killed_workers_refresh_runs_again_within_the_bound(
    org: Org,
    tmp_path: Path,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    # given: workers whose timeouts are sized from a 2 s upstream and 0.5 s statement timeout
    # (profile: 4 × 2 + 2 × 0.5 = 9 s, so marks live 19 s), and a slow upstream
    environment = {
        "CREATORAUDIT_WORKER__JOB_TIMEOUT_SECONDS": "",  # sized, not overridden
        "CREATORAUDIT_WORKER__UPSTREAM_TIMEOUT_SECONDS": "2",
        "CREATORAUDIT_TIMEOUTS__DATABASE_WORKER_STATEMENT_SECONDS": "0.5",
    }
    sized = job_timeouts(_settings(upstream=2, statement=0.5))
    assert sized.in_progress_seconds == 19.0
    account = await _track(org, TT, f"inflight.{org.id}")
    lookups = tiktok_state(simulator.app).profile_lookups
    faults = simulator.app[FAULTS]
    faults.latency_ms = 1500  # under the upstream timeout: slow answers, not failures
    queue = f"test:{uuid.uuid4().hex}"
    refresh = job_id(queue, ReadKind.PROFILE, str(TT), account.handle)
    mark = in_progress_key_prefix + refresh
    configured = pointed_at(settings, simulator)
    loop = asyncio.get_running_loop()

    # when: the worker is killed with the refresh in flight (the profile read, the feed not)
    first, log = await _start_worker(configured, queue, tmp_path, environment)
    try:

        async def in_flight() -> bool:
            assert first.returncode is None, log.read_text()
            return lookups[account.handle] >= 1

        await _until(in_flight, 30)
        left = await redis.pttl(mark) / 1000  # the mark arq set when the job started
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    killed = loop.time()
    started = killed - (sized.in_progress_seconds - left)
    assert 0 < sized.in_progress_seconds - left < 5  # set with the sized lifetime, just now
    row = await models.Account.get(id=account.id)
    assert row.last_scrape_at is None  # the refresh did not finish
    faults.latency_ms = 0
    second, log = await _start_worker(configured, queue, tmp_path, environment)
    try:

        async def run_again() -> bool:
            assert second.returncode is None, log.read_text()
            return lookups[account.handle] >= 2

        async def done() -> bool:  # arq has finished the job: it left the queue
            return await redis.zscore(queue, refresh) is None

        rerun = await _until(run_again, sized.rerun_bound(ARQ_POLL_SECONDS) + 10)
        finished = await _until(done, sized.refresh[ReadKind.PROFILE])
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()

    # then: not before the mark expired, and within its bound (+ the first request's time)
    assert rerun >= killed + left - 0.1
    assert rerun - started <= sized.rerun_bound(ARQ_POLL_SECONDS) + 1.0
    assert finished - started <= sized.rerun_bound(ARQ_POLL_SECONDS) + sized.deadline(
        ReadKind.PROFILE
    )
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ACTIVE, row.last_error
    assert row.first_scrape_at == row.last_scrape_at  # one refresh recorded, not two
    assert await models.AccountSnapshot.filter(account_id=account.id).count() == 1
    assert await redis.exists(mark) == 0
