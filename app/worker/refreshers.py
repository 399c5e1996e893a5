"""Where refreshes run: an arq queue (production) or inside the API process (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from arq.connections import ArqRedis

from app.worker.jobs import WorkerDeps, attempt_refresh, due_profiles, job_id

logger = logging.getLogger("creatoraudit.worker")


class Refresher(Protocol):
    """Accepts requests to refresh a profile soon."""

    async def enqueue_profile(self, platform: str, handle: str) -> None:
        """Ask for a refresh of this (platform, handle) as soon as possible."""


class ArqRefresher:
    """Enqueues arq jobs for the worker processes."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name

    async def enqueue_profile(self, platform: str, handle: str) -> None:
        """Enqueue the profile's refresh job (dropped if one is already queued)."""
        await self._pool.enqueue_job(
            "refresh_profile_job",
            platform,
            handle,
            _job_id=job_id(self._queue_name, platform, handle),
            _queue_name=self._queue_name,
        )


class EmbeddedRefresher:
    """Runs the same refresh attempts inside the API process, with bounded concurrency."""

    def __init__(
        self, deps: WorkerDeps, *, concurrency: int = 4, schedule_every: float = 60.0
    ) -> None:
        self._deps = deps
        self._semaphore = asyncio.Semaphore(concurrency)
        self._schedule_every = schedule_every
        self._pending: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._scheduler: asyncio.Task[None] | None = None

    async def enqueue_profile(self, platform: str, handle: str) -> None:
        """Start the profile's refresh unless one is already pending."""
        key = (platform, handle)
        if key not in self._pending:
            self._pending[key] = asyncio.create_task(self._refresh(platform, handle))

    async def _refresh(self, platform: str, handle: str) -> None:
        try:
            async with self._semaphore:
                attempt = 1
                while True:
                    outcome = await attempt_refresh(self._deps, platform, handle, attempt)
                    if outcome.retry_in is None:
                        return
                    await asyncio.sleep(outcome.retry_in)
                    attempt += 1
        except Exception:
            logger.exception("embedded refresh failed", extra={"handle": handle})
        finally:
            self._pending.pop((platform, handle), None)

    async def _schedule(self) -> None:
        while True:
            try:
                for platform, handle in await due_profiles(datetime.now(UTC)):
                    await self.enqueue_profile(platform, handle)
            except Exception:
                logger.exception("embedded scheduler failed")
            await asyncio.sleep(self._schedule_every)

    def start(self) -> None:
        """Start the periodic scheduler."""
        self._scheduler = asyncio.create_task(self._schedule())

    async def stop(self) -> None:
        """Cancel the scheduler and every refresh in flight."""
        tasks = [*self._pending.values(), *([self._scheduler] if self._scheduler else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Wait until no refresh is pending (tests and the demo's first start)."""
        while self._pending:
            await asyncio.gather(*list(self._pending.values()), return_exceptions=True)
