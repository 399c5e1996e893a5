"""Worker metrics scraped from a real `creatoraudit worker` refreshing from the simulator."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer

from app import models
from app.identifiers import Platform
from app.models import Scope
from app.simulator.app import FAULTS
from tests.conftest import REDIS_URL, Org
from tests.js.api_server import free_port, running_api_server
from tests.observability.scrape import CREATORAUDIT, Scrape, environment, scrape, wait_for
from tests.worker.test_jobs import _track, simulator  # noqa: F401  (fixture)

JOBS = "creatoraudit_worker_jobs_total"
UPSTREAM = "creatoraudit_upstream_requests_total"
TRACK = "mutation($h: String!) { trackAccount(platform: TIKTOK, handle: $h) { created } }"


def _worker_env(database_url: str, sim: TestServer, queue: str) -> dict[str, str]:
    return {
        "CREATORAUDIT_DATABASE_URL": database_url,
        "CREATORAUDIT_REDIS_URL": REDIS_URL,
        "CREATORAUDIT_QUEUE_NAME": queue,
        "CREATORAUDIT_INSTAGRAM__BASE_URL": str(sim.make_url("/instagram")),
        "CREATORAUDIT_TIKTOK__BASE_URL": str(sim.make_url("/tiktok")),
        "CREATORAUDIT_TIKTOK__BUDGET_REQUESTS": "100000",
        "CREATORAUDIT_INSTAGRAM__BUDGET_REQUESTS": "100000",
        "CREATORAUDIT_WORKER__BACKOFF_BASE_SECONDS": "0.01",
        "CREATORAUDIT_SECRET_KEY": "js-client-tests-secret-key",
        "CREATORAUDIT_LOG_LEVEL": "WARNING",
    }


def _text(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")


def _kinds_written(directory: Path) -> set[str]:
    return {path.name.split("_")[0] for path in directory.glob("*.db")}


@asynccontextmanager
async def running_worker(env: Mapping[str, str], log: Path) -> AsyncIterator[None]:
    """`creatoraudit worker` in its own process until the block ends (then SIGTERM)."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(CREATORAUDIT),
            "worker",
            env=environment(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield
        assert process.returncode is None, _text(log)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


def _fail_first_upstream_request(sim: TestServer) -> None:
    """The simulator answers its next data request with a 500, then behaves."""
    faults = sim.app[FAULTS]
    draw = faults.draw
    failed = False

    def once() -> str | None:
        nonlocal failed
        if not failed:
            failed = True
            return "server_error"
        return draw()

    faults.draw = once  # type: ignore[method-assign]


async def _refreshed(account_id: int) -> bool:
    row = await models.Account.get(id=account_id)
    return row.last_scrape_at is not None


async def _scrape_when(url: str, ready: str, **labels: str) -> Scrape:
    """Scrape until `ready` has a sample with these labels (recorded as the job returns)."""
    result: list[Scrape] = []

    async def present() -> bool:
        result[:] = [await scrape(url)]
        return result[0].total(ready, **labels) >= 1

    await wait_for(present, 30, f"{ready} {labels}")
    return result[0]


async def test_a_worker_serves_jobs_by_outcome_upstream_calls_budget_and_queue(
    org: Org,
    database_url: str,
    tmp_path: Path,
    simulator: TestServer,  # noqa: F811
) -> None:
    account = await _track(org, Platform.TIKTOK, f"metered.{org.id}")
    _fail_first_upstream_request(simulator)
    queue = f"test:{uuid.uuid4().hex}"
    port = free_port()
    env = {**_worker_env(database_url, simulator, queue), "CREATORAUDIT_METRICS__PORT": str(port)}
    url = f"http://127.0.0.1:{port}/metrics"
    async with running_worker(env, tmp_path / "worker.log"):
        await wait_for(lambda: _refreshed(account.id), 60, "the refresh")
        metrics = await _scrape_when(url, JOBS, job="refresh_profile_job", outcome="success")
    assert metrics.value(JOBS, job="schedule_due", outcome="success") >= 1
    # The 500 made one job retry; the simulator's answers are counted by status. (The worker
    # also refreshes whatever else is due in the session's database, on either platform.)
    assert metrics.total(JOBS, outcome="retried") >= 1
    assert metrics.total(UPSTREAM, status="500") == 1
    assert metrics.value(UPSTREAM, platform="TIKTOK", status="200") >= 2  # token, profile…
    assert metrics.value(UPSTREAM, platform="other", status="200") == 0
    duration = "creatoraudit_worker_job_duration_seconds_count"
    assert metrics.value(duration, job="refresh_profile_job", outcome="success") >= 1
    assert metrics.value("creatoraudit_upstream_request_duration_seconds_count", platform="TIKTOK")
    # Read from Redis at scrape time: this queue's budget and depth.
    assert metrics.value("creatoraudit_upstream_budget_used", platform="TIKTOK") >= 2
    assert metrics.value("creatoraudit_upstream_budget_limit", platform="TIKTOK") == 100000
    assert ("creatoraudit_queue_jobs", frozenset({("queue", queue), ("state", "ready")})) in (
        metrics.samples
    )


async def test_api_and_worker_sharing_a_directory_are_scraped_as_one(
    org: Org,
    database_url: str,
    tmp_path: Path,
    simulator: TestServer,  # noqa: F811
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    directory = str(tmp_path / "metrics")
    port = free_port()
    worker_env = {
        **_worker_env(database_url, simulator, queue),
        "CREATORAUDIT_METRICS__MULTIPROC_DIR": directory,
    }
    api_env = {
        "CREATORAUDIT_REDIS_URL": REDIS_URL,
        "CREATORAUDIT_QUEUE_NAME": queue,
        "CREATORAUDIT_METRICS__PORT": str(port),
        "CREATORAUDIT_METRICS__MULTIPROC_DIR": directory,
    }
    url = f"http://127.0.0.1:{port}/metrics"
    handle = f"shared.{org.id}"
    with running_api_server(database_url, tmp_path, api_env) as server:
        async with running_worker(worker_env, tmp_path / "worker.log"):
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                tracked = await client.post(
                    "/graphql",
                    json={"query": TRACK, "variables": {"h": handle}},
                    headers={"Authorization": f"Bearer {org.keys[Scope.ADMIN]}"},
                )
            assert tracked.json()["data"]["trackAccount"]["created"] is True
            account = await models.Account.get(organization_id=org.id, handle=handle)
            await wait_for(lambda: _refreshed(account.id), 60, "the refresh")
            # The API's listener serves the worker's series too, read from the directory.
            metrics = await _scrape_when(url, JOBS, job="refresh_profile_job", outcome="success")
    assert metrics.value(UPSTREAM, platform="TIKTOK", status="200") >= 2
    assert (
        metrics.total("creatoraudit_graphql_requests_total", operation="anonymous", status="200")
        == 1
    )
    assert metrics.value("creatoraudit_upstream_budget_used", platform="TIKTOK") >= 2
    # Both processes claimed the directory and wrote their own files in it.
    assert {"counter", "histogram"} <= _kinds_written(Path(directory))
