"""`creatoraudit benchmark-worker`: one real worker against the simulator, under a budget."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import deserialize_result
from tortoise import Tortoise
from tortoise.context import TortoiseContext

import app as app_package
from app import db, models
from app.bench.worker_report import (
    BudgetUse,
    Spread,
    WorkerBenchOptions,
    WorkerBenchReport,
    budget_use,
    ideal_done_offsets,
)
from app.db_admin import scratch_database
from app.identifiers import Platform
from app.models import Availability
from app.services.accounts import track_account
from app.services.tenancy import Tenant
from app.settings import Settings
from app.simulator import instagram as sim_instagram
from app.simulator import tiktok as sim_tiktok
from app.simulator.app import FAULTS, REQUEST_LOG, create_simulator
from app.worker.jobs import Kind, job_id
from app.worker.runner import health_check_key

PLATFORMS = (Platform.INSTAGRAM, Platform.TIKTOK)
# The simulator's request log names platforms by their URL prefix.
_PREFIX = {"instagram": Platform.INSTAGRAM, "tiktok": Platform.TIKTOK}
_RESULT_PREFIX = "arq:result:"
_ENV_PREFIX = "CREATORAUDIT_"
# The simulator's own limits (Instagram's hourly calls, TikTok's daily quota) are lifted: the
# benchmark measures the budget the worker is configured with, not the simulated platforms'.
_UNLIMITED = 10**9


def _proc_status_kb(pid: int, name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(f"{name}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mb(kb: int | None) -> float | None:
    return None if kb is None else kb / 1024


@asynccontextmanager
async def _fresh_database(url: str | None, directory: Path) -> AsyncIterator[str]:
    """A new empty database: a SQLite file in `directory`, or a unique PostgreSQL database."""
    if url is None:
        yield f"sqlite://{directory / 'bench.sqlite3'}"
        return
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--database-url must be a PostgreSQL URL (the default is SQLite)")
    async with scratch_database(url, "creatoraudit_wbench") as scratch:
        yield scratch


async def _seed(organization_name: str, accounts: int) -> int:
    """One organization tracking `accounts` ACTIVE simulator profiles, alternating platforms.

    They are not due yet (next refresh tomorrow): the benchmark makes them due together once
    the worker is up.
    """
    organization = await models.Organization.create(name=organization_name)
    tenant = Tenant(organization.id)
    for index in range(accounts):
        outcome = await track_account(
            tenant, platform=PLATFORMS[index % 2], handle=f"bench{index:05d}", url=None
        )
        if outcome.problems or outcome.value is None:
            raise RuntimeError(f"could not track bench{index:05d}: {outcome.problems}")
    later = datetime.now(UTC) + timedelta(days=1)
    await models.Account.filter(organization_id=organization.id).update(next_scrape_at=later)
    return organization.id


def _worker_environment(
    options: WorkerBenchOptions, database_url: str, queue: str, simulator_url: str
) -> dict[str, str]:
    """The parent's environment without any CREATORAUDIT_* setting, plus the benchmark's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIX)}
    source_root = str(Path(app_package.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": options.redis_url,
        "QUEUE_NAME": queue,
        "EMBEDDED_WORKER": "false",
        "LOG_JSON": "false",
        "WORKER__MAX_JOBS": str(options.max_jobs),
        "INSTAGRAM__BASE_URL": f"{simulator_url}/instagram",
        "TIKTOK__BASE_URL": f"{simulator_url}/tiktok",
    }
    for platform in ("INSTAGRAM", "TIKTOK"):
        settings[f"{platform}__BUDGET_REQUESTS"] = str(options.budget)
        settings[f"{platform}__BUDGET_WINDOW_SECONDS"] = str(options.window_seconds)
    env.update({f"{_ENV_PREFIX}{k}": v for k, v in settings.items()})
    return env


async def _start_simulator(options: WorkerBenchOptions) -> tuple[web.AppRunner, web.Application]:
    """The simulator on a free local port, with the latency set and its own limits lifted."""
    simulator = create_simulator(options.seed)
    simulator[FAULTS].latency_ms = options.latency_ms
    for resource in simulator.router.resources():
        sub = resource.get_info().get("app")
        if sub is not None and sim_tiktok.STATE in sub:
            sub[sim_tiktok.STATE].daily_quota = _UNLIMITED
        if sub is not None and sim_instagram.STATE in sub:
            sub[sim_instagram.STATE].hourly_budget = _UNLIMITED
    runner = web.AppRunner(simulator, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, simulator


def _simulator_url(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


def _tail(path: Path, lines: int = 20) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


@dataclass(slots=True)
class _Watch:
    """What the poll loop collects while the worker runs."""

    finished: dict[str, float] = field(default_factory=dict)  # job id → finish (unix s)
    failed: int = 0
    rss_kb: list[int] = field(default_factory=list)


async def _collect_results(redis: ArqRedis, pending: dict[str, str], watch: _Watch) -> None:
    """Move jobs whose arq result appeared from `pending` into `watch.finished`."""
    ids = list(pending)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        raw = await redis.mget([f"{_RESULT_PREFIX}{i}" for i in chunk])
        for identifier, value in zip(chunk, raw, strict=True):
            if value is None:
                continue
            result = deserialize_result(value)
            watch.finished[identifier] = result.finish_time.timestamp()
            watch.failed += not result.success
            del pending[identifier]


async def _delete_queue_keys(redis: ArqRedis, queue: str) -> None:
    """Remove the benchmark's keys: its queue, jobs, results, retries and budget counters."""
    patterns = [f"{queue}*", f"arq:*:{queue}:*", f"creatoraudit:budget:{queue}:*"]
    for pattern in patterns:
        keys = [key async for key in redis.scan_iter(match=pattern, count=1000)]
        for start in range(0, len(keys), 1000):
            await redis.delete(*keys[start : start + 1000])


@dataclass(frozen=True, slots=True)
class _Run:
    """One benchmark run's fixed parts."""

    options: WorkerBenchOptions
    url: str
    organization_id: int
    redis: ArqRedis
    queue: str
    log_path: Path
    progress: Callable[[str], None]


async def run_worker_benchmark(
    options: WorkerBenchOptions, progress: Callable[[str], None] = lambda _: None
) -> WorkerBenchReport:
    """Seed a fresh database, start the simulator and one worker process, and measure."""
    if options.accounts < 1 or options.budget < 1 or options.window_seconds <= 0:
        raise ValueError("accounts and budget must be positive, the window longer than 0 s")
    with tempfile.TemporaryDirectory(prefix="creatoraudit-wbench-") as tmp:
        async with _fresh_database(options.database_url, Path(tmp)) as url:
            settings = Settings(database_url=url)
            progress(f"Database {db.describe(settings)}: migrating, tracking accounts …")
            # A context of its own: Tortoise state already set up in this process (the tests'
            # app) is neither used nor closed.
            async with TortoiseContext():
                await db.migrate(settings)
                await Tortoise.init(config=db.tortoise_config(settings))
                organization_id = await _seed("Worker benchmark", options.accounts)
                redis = await create_pool(RedisSettings.from_dsn(options.redis_url))
                queue = f"creatoraudit:wbench:{uuid.uuid4().hex[:12]}"
                run = _Run(
                    options, url, organization_id, redis, queue, Path(tmp) / "worker.log", progress
                )
                try:
                    return await _measure(run)
                finally:
                    await _delete_queue_keys(redis, queue)
                    await redis.aclose()


async def _measure(run: _Run) -> WorkerBenchReport:
    """Start the simulator and the worker, then drive the run; both are stopped afterwards."""
    runner, simulator = await _start_simulator(run.options)
    try:
        # A local temporary file, opened once: not worth a thread.
        with open(run.log_path, "wb") as log_file:  # noqa: ASYNC230
            env = _worker_environment(run.options, run.url, run.queue, _simulator_url(runner))
            spawned = time.time()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "app.cli",
                "worker",
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                return await _drive(run, simulator, process, spawned)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    finally:
        await runner.cleanup()


async def _wait_ready(run: _Run, process: asyncio.subprocess.Process) -> None:
    """Until the worker polls its queue (arq writes the health-check key from its poll loop)."""
    limit = run.options.startup_timeout_seconds
    deadline = time.monotonic() + limit
    while not await run.redis.exists(health_check_key(run.queue)):
        problem = None
        if process.returncode is not None:
            problem = f"the worker exited with code {process.returncode} at start"
        elif time.monotonic() > deadline:
            problem = f"the worker was not ready after {limit:.0f} s"
        if problem:
            tail = "\n".join(_tail(run.log_path))
            raise RuntimeError(f"{problem}; worker log:\n{tail}")
        await asyncio.sleep(0.05)


async def _stop(process: asyncio.subprocess.Process, limit: float) -> int | None:
    """SIGTERM, then SIGKILL after `limit` seconds; the exit code, None when it had to be killed."""
    if process.returncode is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


async def _drive(
    run: _Run, simulator: web.Application, process: asyncio.subprocess.Process, spawned: float
) -> WorkerBenchReport:
    """Make every account due at once, wait for every job's result, stop the worker."""
    options = run.options
    await _wait_ready(run, process)
    startup = time.time() - spawned
    pid = process.pid
    idle_rss = _proc_status_kb(pid, "VmRSS")
    accounts = await models.Account.filter(organization_id=run.organization_id).values_list(
        "platform", "handle"
    )
    pending = {
        job_id(run.queue, Kind.PROFILE, str(Platform(p)), str(h)): str(p) for p, h in accounts
    }
    platform_of = dict(pending)
    log = simulator[REQUEST_LOG]
    log.recording = True
    run.progress(
        f"Worker up in {startup:.1f} s (pid {pid}); {options.accounts} accounts due now, budget "
        f"{options.budget} requests per {options.window_seconds:g} s per platform, upstream "
        f"latency {options.latency_ms:g} ms, max_jobs {options.max_jobs} …"
    )
    cpu_before = _cpu_seconds(pid)
    due_at = datetime.now(UTC)
    due = due_at.timestamp()
    await models.Account.filter(organization_id=run.organization_id).update(next_scrape_at=due_at)
    # What the scheduler's cron does each minute, now rather than at the next full minute.
    await run.redis.enqueue_job(
        "schedule_due", _job_id=f"{run.queue}:schedule_due", _queue_name=run.queue
    )
    watch = _Watch()
    timed_out = False
    next_note = time.monotonic() + 5
    while pending:
        await asyncio.sleep(options.poll_seconds)
        await _collect_results(run.redis, pending, watch)
        rss = _proc_status_kb(pid, "VmRSS")
        if rss is not None:
            watch.rss_kb.append(rss)
        if process.returncode is not None:
            break
        if time.time() - due > options.duration_cap_seconds:
            timed_out = True
            break
        if time.monotonic() >= next_note:
            next_note += 5
            run.progress(
                f"  {len(watch.finished)}/{len(platform_of)} done after {time.time() - due:.0f} s"
            )
    log.recording = False
    cpu_after = _cpu_seconds(pid)
    peak_rss = _proc_status_kb(pid, "VmHWM")
    exit_code = await _stop(process, options.stop_timeout_seconds)
    rows = await models.Account.filter(organization_id=run.organization_id).values(
        "platform", "handle", "last_scrape_at", "availability"
    )
    return _report(
        options=options,
        url=run.url,
        due=due,
        rows=rows,
        watch=watch,
        platform_of=platform_of,
        requests=list(log.entries),
        timed_out=timed_out,
        startup=startup,
        idle_rss=idle_rss,
        peak_rss=peak_rss,
        cpu=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        exit_code=exit_code,
        log_tail=_tail(run.log_path) if (timed_out or pending or watch.failed) else [],
    )


def _report(
    *,
    options: WorkerBenchOptions,
    url: str,
    due: float,
    rows: list[dict[str, Any]],
    watch: _Watch,
    platform_of: dict[str, str],
    requests: list[tuple[str, float]],
    timed_out: bool,
    startup: float,
    idle_rss: int | None,
    peak_rss: int | None,
    cpu: float | None,
    exit_code: int | None,
    log_tail: list[str],
) -> WorkerBenchReport:
    refreshed = len(watch.finished)
    wall = max(watch.finished.values(), default=due) - due
    observed = [r["last_scrape_at"].timestamp() - due for r in rows if r["last_scrape_at"]]
    uses: dict[str, BudgetUse] = {}
    ideal: list[float] = []
    steady = 0.0
    for platform in PLATFORMS:
        times = [t for prefix, t in requests if _PREFIX[prefix] is platform]
        total = sum(1 for p in platform_of.values() if p == platform)
        done = sum(1 for i in watch.finished if platform_of[i] == platform)
        use = budget_use(
            str(platform),
            times,
            budget=options.budget,
            window=options.window_seconds,
            due=due,
            accounts=total,
            refreshed=done,
        )
        uses[str(platform)] = use
        ideal += ideal_done_offsets(
            total, len(times), budget=options.budget, window=options.window_seconds, due=due
        )
        if use.requests_per_refresh:
            steady += options.budget / options.window_seconds / use.requests_per_refresh
    ideal_wall = max(ideal, default=0.0)
    return WorkerBenchReport(
        options=options,
        database="postgresql" if url.startswith("postgres") else "sqlite",
        accounts=len(platform_of),
        refreshed=refreshed,
        failed_jobs=watch.failed,
        not_active=sum(1 for r in rows if r["availability"] != Availability.ACTIVE),
        timed_out=timed_out,
        wall_seconds=wall,
        refreshes_per_second=refreshed / wall if wall > 0 else 0.0,
        ideal_wall_seconds=ideal_wall,
        steady_refreshes_per_second=steady,
        budget_use=uses,
        due_to_done=Spread.of([t - due for t in watch.finished.values()]),
        due_to_observed=Spread.of(observed),
        ideal_due_to_done=Spread.of(ideal),
        worker_startup_seconds=startup,
        worker_idle_rss_mb=_mb(idle_rss),
        worker_peak_rss_mb=_mb(peak_rss or (max(watch.rss_kb) if watch.rss_kb else None)),
        worker_cpu_ms_per_refresh=(cpu * 1000 / refreshed)
        if cpu is not None and refreshed
        else None,
        worker_exit_code=exit_code,
        worker_log_tail=log_tail,
    )
