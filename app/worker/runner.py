"""Building and running the arq worker from the settings."""

from __future__ import annotations

from typing import Any

from arq.cron import cron
from arq.worker import Worker, func
from tortoise import Tortoise

from app.db import tortoise_config
from app.outages import quiet_driver_retries, redis_settings
from app.platforms.budget import RedisBudget
from app.platforms.http import create_session
from app.services.refresh import build_platform_clients
from app.settings import Settings
from app.worker.jobs import DEPS, WorkerDeps, refresh_profile_job, refresh_video_job, schedule_due
from app.worker.resilient import ResilientWorker

# arq counts every attempt; our jobs decide when to give up (throttling does not count).
ARQ_MAX_TRIES = 10_000


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    """An arq worker for the settings; `overrides` are passed to `arq.worker.Worker`."""
    queue = overrides.get("queue_name", settings.queue_name)

    async def startup(ctx: dict[str, Any]) -> None:
        quiet_driver_retries()
        if not ctx.get("orm_ready"):
            # Kept: arq runs the shutdown hook in another context, where Tortoise finds none.
            ctx["orm"] = await Tortoise.init(config=tortoise_config(settings))
        session = create_session(settings.worker.upstream_timeout_seconds)
        ctx["session"] = session
        redis = ctx["redis"]
        clients = build_platform_clients(
            session,
            settings,
            lambda platform, limit, window: RedisBudget(
                redis, f"{queue}:{platform}", limit, window
            ),
        )
        ctx[DEPS] = WorkerDeps(clients=clients, queue_name=queue, settings=settings.worker)

    async def shutdown(ctx: dict[str, Any]) -> None:
        session = ctx.get("session")
        if session is not None:
            await session.close()
        orm = ctx.get("orm")
        if orm is not None:
            await orm.close_connections()

    options: dict[str, Any] = {
        "functions": [
            func(refresh_profile_job, max_tries=ARQ_MAX_TRIES),
            func(refresh_video_job, max_tries=ARQ_MAX_TRIES),
            schedule_due,
        ],
        # arq names cron jobs by function only; the queue in the name keeps queues apart.
        "cron_jobs": [
            cron(schedule_due, name=f"cron:{queue}:schedule_due", second={0}, run_at_startup=True)
        ],
        "queue_name": queue,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": settings.worker.max_jobs,
        "job_timeout": settings.worker.job_timeout_seconds,
        "keep_result": 60,
        "reconnect_max_seconds": settings.worker.reconnect_max_seconds,
    }
    if settings.redis_url and "redis_pool" not in overrides:
        options["redis_settings"] = redis_settings(settings.redis_url)
    options.update(overrides)
    return ResilientWorker(**options)


def run(settings: Settings) -> None:
    """Run the worker until interrupted (needs CREATORAUDIT_REDIS_URL)."""
    if not settings.redis_url:
        raise SystemExit("the worker needs CREATORAUDIT_REDIS_URL")
    build_worker(settings).run()
