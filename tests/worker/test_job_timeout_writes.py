"""Refresh writes cut short: by the job's own deadline, or by the worker's statement timeout
while they wait for another transaction's locks. Either way what is stored is one refresh.

Real PostgreSQL row locks held by the test, real Redis and arq workers (in-process, and a
`creatoraudit worker` process for the statement timeout), the simulator over HTTP.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from app import models
from app.identifiers import Platform
from app.settings import JOB_GRACE_SECONDS, Settings
from tests.conftest import ENGINE, Org
from tests.platforms.test_tiktok_client import tiktok_state
from tests.worker.test_job_timeouts import _until
from tests.worker.test_jobs import (  # noqa: F401  (fixtures)
    _track,
    fast_retries,
    pointed_at,
    redis,
    run_workers,
    simulator,
)
from tests.worker.test_reliability import _assert_refreshed_once, _start_worker

TT = Platform.TIKTOK


@pytest.mark.skipif(ENGINE != "postgres", reason="row locks held by another transaction")
async def test_a_refresh_stopped_mid_write_at_its_deadline_is_recorded_once_later(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
) -> None:
    # given: the account row locked by another transaction for 2.5 s, so the refresh's writes
    # (a snapshot's foreign key check, the row's update) wait, and a 1 s deadline
    account = await _track(org, TT, f"locked.{org.id}")
    locked = asyncio.Event()

    async def hold_the_row() -> None:
        async with in_transaction() as connection:
            sql = "SELECT id FROM account WHERE id = $1 FOR UPDATE"
            await connection.execute_query(sql, [account.id])
            locked.set()
            await asyncio.sleep(2.5)

    holder = asyncio.create_task(hold_the_row())
    await locked.wait()
    worker = fast_retries(job_timeout_seconds=JOB_GRACE_SECONDS + 1, max_transient_tries=30)

    # when: the workers run while the lock is held, and after
    await run_workers(settings, simulator, redis, worker=worker)
    await holder

    # then: attempts were stopped mid-write and tried again (the profile read more than once),
    # and what is stored is one refresh: nothing lost, nothing written twice
    assert tiktok_state(simulator.app).profile_lookups[account.handle] >= 2
    await _assert_refreshed_once([account])


@pytest.mark.skipif(ENGINE != "postgres", reason="the worker's statement timeout is asyncpg's")
async def test_a_write_waiting_on_a_lock_ends_at_the_statement_timeout_not_the_job(
    org: Org,
    tmp_path: Path,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
) -> None:
    # given: a worker process with 0.5 s statements (its profile job: 4 × 2 + 2 × 0.5 = 9 s,
    # stopping itself at 7 s) and the account row locked by another transaction
    environment = {
        "CREATORAUDIT_WORKER__JOB_TIMEOUT_SECONDS": "",
        "CREATORAUDIT_WORKER__UPSTREAM_TIMEOUT_SECONDS": "2",
        "CREATORAUDIT_TIMEOUTS__DATABASE_WORKER_STATEMENT_SECONDS": "0.5",
        "CREATORAUDIT_WORKER__OUTAGE_RETRY_SECONDS": "1",
    }
    deadline = 4 * 2 + 2 * 0.5 - JOB_GRACE_SECONDS
    account = await _track(org, TT, f"waiting.{org.id}")
    lookups = tiktok_state(simulator.app).profile_lookups
    queue = f"test:{uuid.uuid4().hex}"
    async with in_transaction() as connection:
        sql = "SELECT id FROM account WHERE id = $1 FOR UPDATE"
        await connection.execute_query(sql, [account.id])
        worker, log = await _start_worker(
            pointed_at(settings, simulator), queue, tmp_path, environment
        )
        try:

            def asked(times: int) -> Callable[[], Awaitable[bool]]:
                async def condition() -> bool:
                    assert worker.returncode is None, log.read_text()
                    return lookups[account.handle] >= times

                return condition

            # when: its write waits for the lock
            first = await _until(asked(1), 30)
            second = await _until(asked(2), 30)
            # then: the waiting statement was cancelled after 0.5 s and the job deferred as
            # during an outage (0.5-1 s later it asked again), well before the job's own
            # deadline would have stopped it: no statement outlives its job
            assert second - first < deadline
            assert '"event":"outage.started","service":"database"' in log.read_text()
        except BaseException:
            worker.kill()
            await worker.wait()
            raise

    # and once the lock is gone the refresh is recorded once
    async def done() -> bool:
        assert worker.returncode is None, log.read_text()
        return (await models.Account.get(id=account.id)).last_scrape_at is not None

    try:
        await _until(done, 10)
    finally:
        worker.send_signal(signal.SIGTERM)
        await worker.wait()
    await _assert_refreshed_once([account])
