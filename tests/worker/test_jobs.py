"""The refresh worker with real Redis, a real arq worker and the simulator over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.services.accounts import track_account
from app.services.tenancy import Tenant
from app.settings import InstagramSettings, Settings, TikTokSettings, WorkerSettings
from app.simulator.app import FAULTS, create_simulator
from app.simulator.clock import SimClock
from app.worker.runner import build_worker
from tests.conftest import Org
from tests.platforms.test_tiktok_client import tiktok_state

NOW = datetime.now(UTC)


@pytest.fixture
async def simulator() -> AsyncIterator[TestServer]:
    server = TestServer(create_simulator(seed=5, clock=SimClock(frozen=NOW)))
    async with server:
        yield server


@pytest.fixture
async def redis() -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings(host="127.0.0.1", port=6379))
    try:
        yield pool
    finally:
        await pool.aclose()


def fast_retries(**changes: Any) -> WorkerSettings:
    """Worker settings whose back-off waits are milliseconds, for tests."""
    return WorkerSettings(backoff_base_seconds=0.01, throttle_backoff_seconds=0.01, **changes)


def pointed_at(settings: Settings, simulator: TestServer, **changes: Any) -> Settings:
    """The settings with both platforms at the simulator, under budgets no test exhausts."""
    return settings.model_copy(
        update={
            "instagram": InstagramSettings(
                base_url=str(simulator.make_url("/instagram")),
                budget_requests=10**6,
                usage_pause_seconds=0.05,  # injected throttling reports 100 % usage
            ),
            "tiktok": TikTokSettings(
                base_url=str(simulator.make_url("/tiktok")), budget_requests=10**6
            ),
            **changes,
        }
    )


async def run_workers(
    settings: Settings,
    simulator: TestServer,
    redis: ArqRedis,
    *,
    workers: int = 1,
    only: tuple[str, str] | None = None,
    worker: WorkerSettings | None = None,
) -> None:
    """Enqueue the scheduler (or just `only`'s refresh) and run burst workers on a fresh queue."""
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator, worker=worker or fast_retries())
    if only is None:
        await redis.enqueue_job("schedule_due", _queue_name=queue)
    else:
        await redis.enqueue_job("refresh_profile_job", *only, _queue_name=queue)
    running = [
        build_worker(
            configured,
            redis_pool=redis,
            queue_name=queue,
            burst=True,
            handle_signals=False,
            poll_delay=0.01,
            cron_jobs=[],
            ctx={"orm_ready": True},
        )
        for _ in range(workers)
    ]
    await asyncio.gather(*(each.main() for each in running))
    for each in running:
        await each.close()


async def _track(org: Org, platform: Platform, handle: str) -> models.Account:
    outcome = await track_account(Tenant(org.id), platform=platform, handle=handle, url=None)
    assert outcome.value is not None
    return outcome.value


async def test_due_profiles_are_refreshed_once_for_every_organization(
    make_org: Callable[[], Awaitable[Org]],
    settings: Settings,
    simulator: TestServer,
    redis: ArqRedis,
) -> None:
    first, second = await make_org(), await make_org()
    shared = f"both.{first.id}"
    accounts = [
        await _track(first, Platform.TIKTOK, shared),
        await _track(second, Platform.TIKTOK, shared),
        await _track(first, Platform.INSTAGRAM, f"ig.{first.id}"),
    ]
    state = tiktok_state(simulator.app)
    await run_workers(settings, simulator, redis, workers=2)
    lookups = state.profile_lookups[shared]
    for account in accounts:
        row = await models.Account.get(id=account.id)
        assert row.availability is Availability.ACTIVE
        assert row.last_scrape_at is not None
        assert row.next_scrape_at is not None
        assert row.next_scrape_at > datetime.now(UTC)
        assert await models.AccountSnapshot.filter(account_id=row.id).count() == 1
    # Two workers, two organizations: the shared TikTok profile was fetched once.
    assert lookups == 1
    await run_workers(settings, simulator, redis)
    assert state.profile_lookups[shared] == 1  # nothing was due any more


async def test_transient_failures_retry_with_back_off_then_end_in_error(
    org: Org, settings: Settings, simulator: TestServer, redis: ArqRedis
) -> None:
    account = await _track(org, Platform.INSTAGRAM, f"down.{org.id}")
    faults = simulator.app[FAULTS]
    faults.server_error = 1.0
    upstream_requests = 0
    draw = faults.draw

    def counted() -> str | None:  # the simulator draws a fault once per request
        nonlocal upstream_requests
        upstream_requests += 1
        return draw()

    faults.draw = counted  # type: ignore[method-assign]
    await run_workers(settings, simulator, redis, only=("INSTAGRAM", account.handle))
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ERROR
    assert row.last_error
    assert row.next_scrape_at is not None
    assert row.next_scrape_at > datetime.now(UTC)
    # One profile request per attempt, then no retry storm.
    assert upstream_requests == settings.worker.max_transient_tries
