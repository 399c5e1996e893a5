"""Refreshes that fail on our side (not the platform's): bounded attempts, ERROR, one upstream ask.

Real Redis, real arq workers, the simulator over HTTP. The failures are real: the database
refuses a write (a trigger the test installs), or a row our code cannot handle; nothing of ours
is patched.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis
from redis.asyncio import Redis
from tortoise import connections

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.outages import Service, outage_of
from app.platforms.budget import RedisBudget
from app.platforms.http import create_session
from app.services.refresh import build_platform_clients
from app.settings import Settings, WorkerSettings
from app.simulator.app import FAULTS
from app.worker.jobs import Kind, Tries, WorkerDeps, attempt_refresh
from app.worker.runner import build_worker
from tests.conftest import ENGINE, Org
from tests.platforms.test_tiktok_client import tiktok_state
from tests.worker.test_jobs import (  # noqa: F401  (fixtures)
    _track,
    fast_retries,
    pointed_at,
    redis,
    run_workers,
    simulator,
)

ATTEMPTS = 3


def failing_fast() -> WorkerSettings:
    return fast_retries(max_failed_attempts=ATTEMPTS, failure_backoff_seconds=0.01)


@asynccontextmanager
async def database_refuses_snapshots_of(account_id: int) -> AsyncIterator[None]:
    """A trigger refusing every profile snapshot of one account: its refresh cannot be recorded."""
    conn = connections.get("default")
    if ENGINE == "sqlite":
        await conn.execute_script(
            "CREATE TRIGGER refuse_profile BEFORE INSERT ON account_snapshot "
            f"WHEN NEW.account_id = {account_id} BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        )
        drop = "DROP TRIGGER refuse_profile;"
    else:
        await conn.execute_script(
            "CREATE FUNCTION refuse_profile() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.account_id = {account_id} THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER refuse_profile BEFORE INSERT ON account_snapshot "
            "FOR EACH ROW EXECUTE FUNCTION refuse_profile();"
        )
        drop = "DROP TRIGGER refuse_profile ON account_snapshot; DROP FUNCTION refuse_profile();"
    try:
        yield
    finally:
        await conn.execute_script(drop)


def count_upstream_requests(server: TestServer) -> Callable[[], int]:
    """Count every request the simulator answers (it draws a fault once per request)."""
    faults = server.app[FAULTS]
    draw = faults.draw
    requests = 0

    def counted() -> str | None:
        nonlocal requests
        requests += 1
        return draw()

    faults.draw = counted  # type: ignore[method-assign]
    return lambda: requests


async def test_a_refresh_the_database_refuses_ends_in_error_after_the_attempts_asking_once(
    make_org: Callable[[], Awaitable[Org]],
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    # given: one TikTok profile tracked by two organizations; the database refuses the first
    # organization's snapshots (as the overflowing totals of the issue did)
    first, second = await make_org(), await make_org()
    handle = f"refused.{first.id}"
    poisoned = await _track(first, Platform.TIKTOK, handle)
    healthy = await _track(second, Platform.TIKTOK, handle)
    state = tiktok_state(simulator.app)

    async with database_refuses_snapshots_of(poisoned.id):
        await run_workers(
            settings, simulator, redis, only=("TIKTOK", handle), worker=failing_fast()
        )

    # then: the profile was fetched once; the poisoned account is ERROR with the message and
    # due again an interval later; the other organization's account is recorded as usual
    assert state.profile_lookups[handle] == 1
    row = await models.Account.get(id=poisoned.id)
    assert row.availability is Availability.ERROR
    # The error's class depends on the driver (asyncpg RaiseError, SQLite IntegrityError).
    assert re.fullmatch(
        f"recording this refresh failed {ATTEMPTS} times on our side \\(\\w+\\), not the "
        "platform's; the next refresh comes at the usual interval",
        row.last_error or "",
    )
    assert row.last_scrape_at is not None
    assert row.next_scrape_at == row.last_scrape_at + timedelta(hours=24)
    assert not await models.AccountSnapshot.filter(account_id=row.id).exists()
    other = await models.Account.get(id=healthy.id)
    assert other.availability is Availability.ACTIVE
    assert await models.AccountSnapshot.filter(account_id=other.id).count() == 1
    # and: nothing is due, so another round asks upstream nothing
    await run_workers(settings, simulator, redis, only=("TIKTOK", handle), worker=failing_fast())
    assert state.profile_lookups[handle] == 1


async def test_a_row_our_code_cannot_handle_ends_in_error_after_the_attempts(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    # given: an individual TikTok video whose stored id is corrupt: the refresh fails in our
    # code before anything is asked upstream (a bug's stand-in), on every attempt
    key = f"corrupt-{uuid.uuid4().hex[:8]}"
    video = await models.Video.create(
        organization_id=org.id,
        platform=Platform.TIKTOK,
        platform_video_id=key,
        is_individual=True,
        individual_added_at=datetime.now(UTC),
        next_scrape_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    upstream_requests = count_upstream_requests(simulator)
    queue = f"test:{uuid.uuid4().hex}"
    await redis.enqueue_job("refresh_video_job", "TIKTOK", key, _queue_name=queue)
    worker = build_worker(
        pointed_at(settings, simulator, worker=failing_fast()),
        redis_pool=redis,
        queue_name=queue,
        burst=True,
        handle_signals=False,
        poll_delay=0.01,
        cron_jobs=[],
        ctx={"orm_ready": True},
    )

    await worker.main()
    await worker.close()

    # then: three attempts (arq ran the job three times), then ERROR; the job did not fail
    assert (worker.jobs_complete, worker.jobs_retried, worker.jobs_failed) == (1, ATTEMPTS - 1, 0)
    await video.refresh_from_db()
    assert video.availability is Availability.ERROR
    assert video.last_error == (
        f"refreshing failed {ATTEMPTS} times on our side (ValueError), not the platform's; "
        "the next refresh comes at the usual interval"
    )
    assert video.next_scrape_at is not None
    assert video.next_scrape_at > datetime.now(UTC) + timedelta(hours=23)
    assert upstream_requests() == 0


async def test_an_outage_of_our_own_services_is_not_counted_and_never_ends_in_error(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
) -> None:
    # given: the request budget lives in a Redis nobody listens to (an outage of ours)
    account = await _track(org, Platform.INSTAGRAM, f"outage.{org.id}")
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    configured = pointed_at(settings, simulator, worker=failing_fast())
    tries = Tries()
    services: list[Service | None] = []
    async with create_session(5.0) as session:
        clients = build_platform_clients(
            session,
            configured,
            lambda name, limit, window: RedisBudget(unreachable, name, limit, window),
        )
        deps = WorkerDeps(clients, "outage", configured.worker)

        # when: far more attempts than a failure of ours gets
        for _ in range(ATTEMPTS * 2):
            try:
                await attempt_refresh(deps, Kind.PROFILE, "INSTAGRAM", account.handle, tries)
            except Exception as error:
                services.append(outage_of(error))
    await unreachable.aclose()

    # then: every attempt hands the outage to the outage handling (the arq job re-queues
    # itself, the embedded scheduler tries again), none counts, nothing gave up
    assert services == [Service.REDIS] * (ATTEMPTS * 2)
    assert tries.failed == 0
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.PENDING
    assert row.last_error is None
