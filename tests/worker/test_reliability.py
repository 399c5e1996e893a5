"""The refresh pipeline under failure: faulty upstream, killed workers, unreachable profiles.

Real Redis, real arq workers (in-process and as a separate `creatoraudit worker` process), the
simulator over HTTP. "Refreshed exactly once in the interval" is read off the rows: a second
refresh would move `last_scrape_at` past `first_scrape_at`, and snapshots are unique per day.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.settings import Settings
from app.simulator.app import FAULTS
from app.worker.runner import build_worker
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
from tests.worker.test_video_refresh import instagram_discoveries

IG, TT = Platform.INSTAGRAM, Platform.TIKTOK


async def _assert_refreshed_once(accounts: Iterable[models.Account]) -> None:
    for account in accounts:
        row = await models.Account.get(id=account.id)
        assert row.availability is Availability.ACTIVE, (row.handle, row.last_error)
        assert row.last_scrape_at is not None
        assert row.first_scrape_at == row.last_scrape_at  # one successful refresh, not two
        assert row.next_scrape_at == row.last_scrape_at + timedelta(hours=24)
        assert await models.AccountSnapshot.filter(account_id=row.id).count() == 1
        videos = await models.Video.filter(account_id=row.id).values_list("id", flat=True)
        assert videos, row.handle  # the feed was discovered
        snapshots = await models.VideoSnapshot.filter(video_id__in=videos).count()
        assert snapshots == len(videos)  # one per video: nothing written twice


async def test_with_a_fifth_of_upstream_calls_failing_every_account_is_refreshed_once(
    make_org: Callable[[], Awaitable[Org]],
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    first, second = await make_org(), await make_org()
    accounts = []
    for index in range(10):
        for platform in (IG, TT):
            handle = f"flaky{index}.{first.id}"
            accounts.append(await _track(first, platform, handle))
            if index % 3 == 0:  # some profiles are tracked by both organizations
                accounts.append(await _track(second, platform, handle))
    faults = simulator.app[FAULTS]
    faults.rate_limit, faults.server_error, faults.timeout = 0.07, 0.07, 0.06
    faults.timeout_seconds = 1.0
    drawn: list[str | None] = []
    draw = faults.draw

    def recorded() -> str | None:
        drawn.append(draw())
        return drawn[-1]

    faults.draw = recorded  # type: ignore[method-assign]
    worker = fast_retries(upstream_timeout_seconds=0.2, max_throttle_wait_seconds=0.05)
    await run_workers(settings, simulator, redis, workers=2, worker=worker)
    # The faults really happened, of every kind, at about the rate asked for.
    assert {"rate_limit", "server_error", "timeout"} <= set(drawn)
    assert 0.1 < sum(f is not None for f in drawn) / len(drawn) < 0.3
    await _assert_refreshed_once(accounts)
    # Everything is done for this interval: another round asks nothing upstream.
    before = len(drawn)
    await run_workers(settings, simulator, redis, workers=2, worker=worker)
    assert len(drawn) == before


async def test_unreachable_profiles_end_in_their_state_without_retry_storms(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    expected = {
        (IG, f"private.{org.id}"): Availability.NOT_FOUND,  # Business Discovery: same answer
        (IG, f"missing.{org.id}"): Availability.NOT_FOUND,
        (IG, f"restricted.{org.id}"): Availability.RESTRICTED,
        (TT, f"private.{org.id}"): Availability.PRIVATE,
        (TT, f"missing.{org.id}"): Availability.NOT_FOUND,
        (TT, f"restricted.{org.id}"): Availability.PRIVATE,  # TikTok cannot tell them apart
    }
    rows = {key: await _track(org, *key) for key in expected}
    for _ in range(2):  # the second round finds nothing due
        await run_workers(settings, simulator, redis)
        for (platform, handle), state in expected.items():
            row = await models.Account.get(id=rows[(platform, handle)].id)
            assert row.availability is state, (platform, handle, row.availability)
            assert row.last_scrape_at is not None
            assert row.next_scrape_at == row.last_scrape_at + timedelta(hours=24)
            assert await models.AccountSnapshot.filter(account_id=row.id).count() == 0
        ig, tt = instagram_discoveries(simulator.app), tiktok_state(simulator.app)
        # One upstream question per profile in all: a definite answer is not retried.
        assert all(ig[h] == 1 for (p, h) in expected if p is IG)
        assert all(tt.profile_lookups[h] == 1 for (p, h) in expected if p is TT)


def _worker_environment(
    settings: Settings, queue: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env.update(
        {
            "CREATORAUDIT_DATABASE_URL": settings.database_url,
            "CREATORAUDIT_REDIS_URL": "redis://127.0.0.1:6379/0",
            "CREATORAUDIT_QUEUE_NAME": queue,
            "CREATORAUDIT_INSTAGRAM__BASE_URL": settings.instagram.base_url,
            "CREATORAUDIT_TIKTOK__BASE_URL": settings.tiktok.base_url,
            "CREATORAUDIT_INSTAGRAM__BUDGET_REQUESTS": "1000000",
            "CREATORAUDIT_TIKTOK__BUDGET_REQUESTS": "1000000",
            # Short in-progress marks (4 + 10 s): a killed worker's jobs are taken over soon.
            "CREATORAUDIT_WORKER__JOB_TIMEOUT_SECONDS": "4",
            "CREATORAUDIT_TIMEOUTS__DATABASE_WORKER_STATEMENT_SECONDS": "0.9",
            "CREATORAUDIT_WORKER__UPSTREAM_TIMEOUT_SECONDS": "5",
            "CREATORAUDIT_LOG_LEVEL": "WARNING",
            **(extra or {}),
        }
    )
    return {k: v for k, v in env.items() if v}  # an empty value in `extra` removes one


async def _start_worker(
    settings: Settings, queue: str, tmp_path: Path, extra: dict[str, str] | None = None
) -> tuple[asyncio.subprocess.Process, Path]:
    """`creatoraudit worker` in its own process (`extra`: more environment); log to a file."""
    log = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "app.cli", "worker"),
            env=_worker_environment(settings, queue, extra),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=sink,
        )
    return process, log


async def _wait_for(condition: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_batch_loses_nothing(
    org: Org,
    tmp_path: Path,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    accounts = [await _track(org, TT, f"killed{i}.{org.id}") for i in range(6)]
    handles = {a.handle for a in accounts}
    lookups = tiktok_state(simulator.app).profile_lookups
    faults = simulator.app[FAULTS]
    faults.latency_ms = 1500  # slow enough that the kill lands mid-request
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator)
    process, log = await _start_worker(configured, queue, tmp_path)
    try:

        async def in_flight() -> bool:
            assert process.returncode is None, log.read_text()
            return sum(lookups[h] for h in handles) >= 3

        await _wait_for(in_flight, 60)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    unfinished = await models.Account.filter(
        id__in=[a.id for a in accounts], last_scrape_at=None
    ).count()
    assert unfinished > 0  # the worker died with refreshes under way
    assert await redis.zcard(queue) > 0  # …and their jobs still queued
    faults.latency_ms = 0
    # A second worker takes over the dead worker's jobs once their in-progress marks expire
    # (the dead worker's job timeout + 10 s), and finishes the batch; a job run twice writes
    # nothing twice. (tests/worker/test_job_timeouts.py checks the exact bound.)
    started = datetime.now(UTC)
    successor = build_worker(
        configured.model_copy(update={"worker": fast_retries(job_timeout_seconds=4)}),
        redis_pool=redis,
        queue_name=queue,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
        cron_jobs=[],
        ctx={"orm_ready": True},
    )
    await successor.main()
    await successor.close()
    assert datetime.now(UTC) - started < timedelta(seconds=60)
    await _assert_refreshed_once(accounts)
    assert await redis.zcard(queue) == 0


async def test_a_worker_process_stops_cleanly_on_sigterm(
    org: Org,
    settings: Settings,
    tmp_path: Path,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    account = await _track(org, TT, f"stopping.{org.id}")
    queue = f"test:{uuid.uuid4().hex}"
    process, log = await _start_worker(pointed_at(settings, simulator), queue, tmp_path)
    try:

        async def refreshed() -> bool:  # the worker has used the database
            assert process.returncode is None, log.read_text()
            row = await models.Account.get(id=account.id)
            return row.last_scrape_at is not None

        await _wait_for(refreshed, 60)
        process.send_signal(signal.SIGTERM)
        # The database connections are closed, so nothing keeps the process alive.
        assert await asyncio.wait_for(process.wait(), 15) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
