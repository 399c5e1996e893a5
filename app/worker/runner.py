"""Building and running the arq worker from the settings."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import Worker, func
from tortoise import Tortoise

from app.db import tortoise_config
from app.platforms.budget import RedisBudget
from app.platforms.http import create_session
from app.platforms.instagram.client import InstagramClient
from app.platforms.tiktok.client import TikTokClient
from app.services.refresh import PlatformClients
from app.settings import Settings
from app.worker.jobs import DEPS, WorkerDeps, refresh_profile_job, schedule_due


def build_worker(
    settings: Settings, *, backoff_base_seconds: float = 10.0, **overrides: Any
) -> Worker:
    """An arq worker for the settings; `overrides` are passed to `arq.worker.Worker`."""
    queue = overrides.get("queue_name", settings.queue_name)

    async def startup(ctx: dict[str, Any]) -> None:
        if not ctx.get("orm_ready"):
            await Tortoise.init(config=tortoise_config(settings))
        session = create_session()
        ctx["session"] = session
        redis = ctx["redis"]
        ig, tt = settings.instagram, settings.tiktok
        ctx[DEPS] = WorkerDeps(
            clients=PlatformClients(
                instagram=InstagramClient(
                    session,
                    ig,
                    budget=RedisBudget(
                        redis, f"{queue}:INSTAGRAM", ig.budget_requests, ig.budget_window_seconds
                    ),
                ),
                tiktok=TikTokClient(
                    session,
                    tt,
                    budget=RedisBudget(
                        redis, "TIKTOK", tt.budget_requests, tt.budget_window_seconds
                    ),
                ),
            ),
            queue_name=queue,
            backoff_base_seconds=backoff_base_seconds,
        )

    async def shutdown(ctx: dict[str, Any]) -> None:
        session = ctx.get("session")
        if session is not None:
            await session.close()
        if not ctx.get("orm_ready"):
            await Tortoise.close_connections()

    options: dict[str, Any] = {
        "functions": [func(refresh_profile_job, max_tries=50), schedule_due],
        "cron_jobs": [cron(schedule_due, second={0}, run_at_startup=True)],
        "queue_name": queue,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": 10,
        "job_timeout": 300,
        "keep_result": 60,
    }
    if settings.redis_url and "redis_pool" not in overrides:
        options["redis_settings"] = RedisSettings.from_dsn(settings.redis_url)
    options.update(overrides)
    return Worker(**options)


def run(settings: Settings) -> None:
    """Run the worker until interrupted (needs CREATORAUDIT_REDIS_URL)."""
    if not settings.redis_url:
        raise SystemExit("the worker needs CREATORAUDIT_REDIS_URL")
    build_worker(settings).run()
