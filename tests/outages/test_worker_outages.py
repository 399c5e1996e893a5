"""A `creatoraudit worker` process through a Redis restart and a PostgreSQL outage.

The worker runs as users run it (the console script, its own process); Redis is the test's own
`redis-server`, killed and started again on the same port; PostgreSQL is reached through a TCP
proxy the test cuts and restores. The simulator stands in for both platforms.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job

from app import models
from app.identifiers import Platform
from app.settings import Settings
from app.worker.jobs import Kind, enqueue_refresh, job_id
from tests.conftest import ENGINE, Org
from tests.js.api_server import CREATORAUDIT
from tests.outages.services import RedisServer, own_redis, postgres_proxy
from tests.worker.test_jobs import _track, pointed_at, simulator  # noqa: F401  (fixture)

WAIT_SECONDS = 120.0


class WorkerProcess:
    """A running `creatoraudit worker` and its JSON log."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def records(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def outage_lines(
        self, event: str, service: str, where: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records()
            if r.get("event") == event
            and r.get("service") == service
            and where in (None, r.get("where"))
        ]

    def assert_alive(self) -> None:
        assert self.process.returncode is None, self.log.read_text()


@asynccontextmanager
async def running_worker(
    settings: Settings,
    database_url: str,
    redis_url: str,
    queue: str,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[WorkerProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env.update(
        {
            "CREATORAUDIT_DATABASE_URL": database_url,
            "CREATORAUDIT_REDIS_URL": redis_url,
            "CREATORAUDIT_QUEUE_NAME": queue,
            "CREATORAUDIT_INSTAGRAM__BASE_URL": settings.instagram.base_url,
            "CREATORAUDIT_TIKTOK__BASE_URL": settings.tiktok.base_url,
            "CREATORAUDIT_WORKER__RECONNECT_MAX_SECONDS": "1",
            "CREATORAUDIT_WORKER__OUTAGE_RETRY_SECONDS": "1",
            "CREATORAUDIT_LOG_JSON": "true",
            **(extra_env or {}),
        }
    )
    log = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(CREATORAUDIT),
            "worker",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(process, log)
    try:
        yield worker
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _until(condition: Callable[[], Awaitable[bool]], worker: WorkerProcess) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not await condition():
        worker.assert_alive()
        assert asyncio.get_running_loop().time() < deadline, worker.log.read_text()
        await asyncio.sleep(0.1)


def _refreshed(account: models.Account) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        row = await models.Account.get(id=account.id)
        return row.last_scrape_at is not None

    return check


@asynccontextmanager
async def _pool(redis: RedisServer) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings(host="127.0.0.1", port=redis.port))
    try:
        yield pool
    finally:
        await pool.aclose()


async def test_the_worker_survives_a_redis_restart_and_keeps_working(
    org: Org,
    settings: Settings,
    database_url: str,
    simulator: TestServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator)
    with own_redis(tmp_path) as redis:
        async with running_worker(configured, database_url, redis.url, queue, tmp_path) as worker:
            # Working before: the schedule (run at start) refreshes a tracked account.
            await _until(_refreshed(await _track(org, Platform.TIKTOK, f"pre.{org.id}")), worker)

            redis.kill()

            async def noticed() -> bool:
                return bool(worker.outage_lines("outage.started", "redis"))

            await _until(noticed, worker)
            await asyncio.sleep(3)  # several reconnection attempts (0.5 s, then 1 s apart)
            worker.assert_alive()
            redis.start()  # same port, empty: every queued job and cron mark is gone

            # A job enqueued after the restart is processed…
            enqueued = await _track(org, Platform.TIKTOK, f"enqueued.{org.id}")
            async with _pool(redis) as pool:
                await enqueue_refresh(pool, queue, Kind.PROFILE, "TIKTOK", enqueued.handle)
                job = Job(job_id(queue, Kind.PROFILE, "TIKTOK", enqueued.handle), pool, queue)
                assert await job.result(timeout=WAIT_SECONDS, poll_delay=0.1) == "ACTIVE"
            # …and the schedule still runs: an account nobody enqueued gets refreshed.
            scheduled = await _track(org, Platform.INSTAGRAM, f"scheduled.{org.id}")
            await _until(_refreshed(scheduled), worker)

            worker.assert_alive()
            # One line when the outage started and one when it ended, not one per attempt.
            # (A job that happened to run at the kill would log its own line: "the worker (a job)".)
            assert len(worker.outage_lines("outage.started", "redis", "the worker")) == 1
            assert len(worker.outage_lines("outage.ended", "redis", "the worker")) == 1
            assert not [r for r in worker.records() if r.get("level") in ("ERROR", "CRITICAL")]

            # Stopped (SIGTERM) in the middle of another outage, it still exits cleanly.
            redis.kill()
            await _until(lambda: _count_is(worker, 2), worker)
            worker.process.terminate()
            assert await asyncio.wait_for(worker.process.wait(), 30) == 0, worker.log.read_text()


async def _count_is(worker: WorkerProcess, started: int) -> bool:
    return len(worker.outage_lines("outage.started", "redis", "the worker")) == started


@pytest.mark.skipif(ENGINE != "postgres", reason="the TCP proxy stands in front of PostgreSQL")
async def test_jobs_that_meet_a_database_outage_are_done_after_it(
    org: Org,
    settings: Settings,
    database_url: str,
    simulator: TestServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator)
    with own_redis(tmp_path) as redis, postgres_proxy(database_url) as (proxy, proxied_url):
        async with running_worker(configured, proxied_url, redis.url, queue, tmp_path) as worker:
            await _until(_refreshed(await _track(org, Platform.TIKTOK, f"up.{org.id}")), worker)

            proxy.cut()
            # Due while the database is unreachable for the worker (this test still reaches it).
            accounts = [await _track(org, Platform.TIKTOK, f"cut{i}.{org.id}") for i in range(3)]
            async with _pool(redis) as pool:
                for account in accounts:
                    await enqueue_refresh(pool, queue, Kind.PROFILE, "TIKTOK", account.handle)

            async def retried() -> bool:  # the jobs met the outage and were deferred
                return bool(worker.outage_lines("outage.started", "database"))

            await _until(retried, worker)
            await asyncio.sleep(2)  # the deferred jobs fail again while it lasts
            worker.assert_alive()
            proxy.restore()

            for account in accounts:  # nothing lost: every job is done after the outage
                await _until(_refreshed(account), worker)
            worker.assert_alive()
            # Every job and schedule run met the same outage: logged once, and its end once.
            assert len(worker.outage_lines("outage.started", "database", "the worker (a job)")) == 1
            assert len(worker.outage_lines("outage.ended", "database", "the worker (a job)")) == 1
            assert not [r for r in worker.records() if r.get("level") in ("ERROR", "CRITICAL")]


async def test_the_worker_waits_out_a_redis_that_refuses_writes(
    org: Org,
    settings: Settings,
    database_url: str,
    simulator: TestServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator)
    with own_redis(tmp_path) as redis:
        async with running_worker(configured, database_url, redis.url, queue, tmp_path) as worker:
            await _until(_refreshed(await _track(org, Platform.TIKTOK, f"w.{org.id}")), worker)
            async with _pool(redis) as pool:
                await pool.config_set("maxmemory", 1)  # every write refused: OOM

                async def noticed() -> bool:  # its health record (every 15 s) was refused
                    return bool(worker.outage_lines("outage.started", "redis", "the worker"))

                await _until(noticed, worker)
                worker.assert_alive()
                await pool.config_set("maxmemory", 0)
                account = await _track(org, Platform.TIKTOK, f"after_oom.{org.id}")
                await enqueue_refresh(pool, queue, Kind.PROFILE, "TIKTOK", account.handle)
            await _until(_refreshed(account), worker)
            assert len(worker.outage_lines("outage.ended", "redis", "the worker")) == 1
            assert not [r for r in worker.records() if r.get("level") in ("ERROR", "CRITICAL")]
