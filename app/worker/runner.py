"""Building and running the arq worker from the settings."""

from __future__ import annotations

import socket
from typing import Any

from arq.cron import cron
from arq.worker import Worker, func
from tortoise import Tortoise

from app.db import tortoise_config
from app.observability.jobs import instrument_job
from app.observability.multiproc import release_this_process
from app.observability.server import start_metrics_server
from app.observability.upstream import upstream_trace
from app.observability.wiring import sampler_for
from app.outages import quiet_driver_retries, redis_settings
from app.platforms.budget import RedisBudget
from app.platforms.http import create_session
from app.services.refresh import build_platform_clients
from app.settings import Settings
from app.worker.jobs import (
    DEPS,
    Kind,
    WorkerDeps,
    refresh_profile_job,
    refresh_video_job,
    schedule_due,
)
from app.worker.resilient import ResilientWorker
from app.worker.timeouts import job_timeouts

# arq counts every attempt; our jobs decide when to give up (throttling does not count).
ARQ_MAX_TRIES = 10_000
METRICS_SERVER = "creatoraudit.metrics_server"
# What a refresh job's result says about its run (metrics); anything else is a state reached.
_OUTCOMES = {"not due": "skipped", "error": "error"}


def job_outcome(result: object) -> str:
    """The outcome label of a job run that returned `result`."""
    return _OUTCOMES.get(result, "success") if isinstance(result, str) else "success"


# A running worker rewrites its health key this often; the key outlives it by one second.
HEALTH_CHECK_SECONDS = 15


def health_check_key(queue: str) -> str:
    """The key this host's worker keeps alive (arq's default key is shared by all workers)."""
    return f"{queue}:health-check:{socket.gethostname()}"


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    """An arq worker for the settings; `overrides` are passed to `arq.worker.Worker`."""
    queue = overrides.get("queue_name", settings.queue_name)
    timeouts = job_timeouts(settings)
    deadlines = {kind: timeouts.deadline(kind) for kind in timeouts.refresh}

    async def startup(ctx: dict[str, Any]) -> None:
        quiet_driver_retries()
        if not ctx.get("orm_ready"):
            # Kept: arq runs the shutdown hook in another context, where Tortoise finds none.
            ctx["orm"] = await Tortoise.init(config=tortoise_config(settings, role="worker"))
        session = create_session(
            settings.worker.upstream_timeout_seconds, trace_configs=[upstream_trace(settings)]
        )
        ctx["session"] = session
        redis = ctx["redis"]
        budgets: dict[str, RedisBudget] = {}

        def shared_budget(platform: str, limit: int, window: float) -> RedisBudget:
            budgets[platform] = RedisBudget(redis, f"{queue}:{platform}", limit, window)
            return budgets[platform]

        clients = build_platform_clients(session, settings, shared_budget)
        ctx[DEPS] = WorkerDeps(clients, queue, settings.worker, deadlines)
        sampler = sampler_for(settings, redis, queue, budgets)
        ctx[METRICS_SERVER] = await start_metrics_server(settings.metrics, sampler)

    async def shutdown(ctx: dict[str, Any]) -> None:
        server = ctx.get(METRICS_SERVER)
        if server is not None:
            await server.stop()
        release_this_process()
        session = ctx.get("session")
        if session is not None:
            await session.close()
        orm = ctx.get("orm")
        if orm is not None:
            await orm.close_connections()

    options: dict[str, Any] = {
        # Each refresh function has its own timeout (app.worker.timeouts); the scheduler and
        # anything else get the longest, so arq's in-progress marks live that + 10 s.
        "functions": [
            func(
                instrument_job(refresh_profile_job, job_outcome),
                max_tries=ARQ_MAX_TRIES,
                timeout=timeouts.refresh[Kind.PROFILE],
            ),
            func(
                instrument_job(refresh_video_job, job_outcome),
                max_tries=ARQ_MAX_TRIES,
                timeout=timeouts.refresh[Kind.VIDEO],
            ),
            instrument_job(schedule_due, job_outcome),
        ],
        # arq names cron jobs by function only; the queue in the name keeps queues apart.
        "cron_jobs": [
            cron(
                instrument_job(schedule_due, job_outcome),
                name=f"cron:{queue}:schedule_due",
                second={0},
                run_at_startup=True,
            )
        ],
        "queue_name": queue,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": settings.worker.max_jobs,
        "job_timeout": timeouts.longest,
        "keep_result": 60,
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "health_check_key": health_check_key(queue),
        "reconnect_max_seconds": settings.worker.reconnect_max_seconds,
        "redis_timeout_seconds": settings.timeouts.redis_seconds,
    }
    if settings.redis_url and "redis_pool" not in overrides:
        options["redis_settings"] = redis_settings(
            settings.redis_url, settings.timeouts.redis_seconds
        )
    options.update(overrides)
    return ResilientWorker(**options)


def run(settings: Settings) -> None:
    """Run the worker until interrupted (needs CREATORAUDIT_REDIS_URL)."""
    if not settings.redis_url:
        raise SystemExit("the worker needs CREATORAUDIT_REDIS_URL")
    build_worker(settings).run()
