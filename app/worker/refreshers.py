"""Where refreshes run: an arq queue (production) or inside the API process (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from app.outages import OutageLog, Service, outage_of
from app.services.refresher import Refresher
from app.worker.due import due_refreshes
from app.worker.jobs import Kind, Tries, WorkerDeps, attempt_refresh, enqueue_refresh

__all__ = ["ArqRefresher", "EmbeddedRefresher", "Refresher"]

logger = logging.getLogger("creatoraudit.worker")


class ArqRefresher:
    """Enqueues arq jobs for the worker processes."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name
        self._outages = OutageLog("the API enqueueing a refresh")

    async def enqueue(self, kind: Kind, platform: str, key: str) -> None:
        """Enqueue the refresh job (dropped if one is already queued).

        Never fails because of Redis — down, hung, out of memory, read-only after a failover:
        the caller's write is committed, and what is due stays due in the database, so the
        workers' schedule enqueues it once Redis takes writes again.
        """
        try:
            await enqueue_refresh(self._pool, self._queue_name, kind, platform, key)
        except RedisError as exc:
            self._outages.failed(Service.REDIS, exc)
        else:
            self._outages.recovered(Service.REDIS)


class EmbeddedRefresher:
    """Runs the same refresh attempts inside the API process, with bounded concurrency."""

    def __init__(self, deps: WorkerDeps) -> None:
        self._deps = deps
        self._semaphore = asyncio.Semaphore(deps.settings.embedded_concurrency)
        self._pending: dict[tuple[Kind, str, str], asyncio.Task[None]] = {}
        self._scheduler: asyncio.Task[None] | None = None
        self._outages = OutageLog("the embedded worker")

    async def enqueue(self, kind: Kind, platform: str, key: str) -> None:
        """Start the refresh unless one is already pending."""
        target = (kind, platform, key)
        if target not in self._pending:
            self._pending[target] = asyncio.create_task(self._refresh(target))

    async def _refresh(self, target: tuple[Kind, str, str]) -> None:
        tries = Tries()
        try:
            while True:
                async with self._semaphore:  # not held while waiting to retry
                    outcome = await attempt_refresh(self._deps, *target, tries)
                if outcome.retry_in is None:
                    self._outages.recovered_all()
                    return
                await asyncio.sleep(outcome.retry_in)
        except Exception as exc:
            # Still due in the database: the schedule tries again after the outage.
            if not self._noted_outage(exc):
                logger.exception("embedded refresh failed", extra={"key": target[2]})
        finally:
            self._pending.pop(target, None)

    async def _schedule(self) -> None:
        while True:
            try:
                due = await due_refreshes(datetime.now(UTC))
            except Exception as exc:
                if not self._noted_outage(exc):
                    logger.exception("embedded scheduler failed")
            else:
                self._outages.recovered(Service.DATABASE)
                for target in due:
                    await self.enqueue(*target)
            await asyncio.sleep(self._deps.settings.schedule_every_seconds)

    def _noted_outage(self, exc: Exception) -> bool:
        """True when `exc` is a database or Redis outage (logged once per outage)."""
        service = outage_of(exc)
        if service is not None:
            self._outages.failed(service, exc)
        return service is not None

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
