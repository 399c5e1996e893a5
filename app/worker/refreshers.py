"""Where refreshes run: an arq queue (production) or inside the API process (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from arq.connections import ArqRedis

from app.worker.jobs import Kind, Tries, WorkerDeps, attempt_refresh, due_refreshes, enqueue_refresh

logger = logging.getLogger("creatoraudit.worker")


class Refresher(Protocol):
    """Accepts requests to refresh a profile or an individual post soon."""

    async def enqueue(self, kind: Kind, platform: str, key: str) -> None:
        """Ask for a refresh of this profile handle or post id as soon as possible."""


class ArqRefresher:
    """Enqueues arq jobs for the worker processes."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name

    async def enqueue(self, kind: Kind, platform: str, key: str) -> None:
        """Enqueue the refresh job (dropped if one is already queued)."""
        await enqueue_refresh(self._pool, self._queue_name, kind, platform, key)


class EmbeddedRefresher:
    """Runs the same refresh attempts inside the API process, with bounded concurrency."""

    def __init__(self, deps: WorkerDeps) -> None:
        self._deps = deps
        self._semaphore = asyncio.Semaphore(deps.settings.embedded_concurrency)
        self._pending: dict[tuple[Kind, str, str], asyncio.Task[None]] = {}
        self._scheduler: asyncio.Task[None] | None = None

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
                    return
                await asyncio.sleep(outcome.retry_in)
        except Exception:
            logger.exception("embedded refresh failed", extra={"key": target[2]})
        finally:
            self._pending.pop(target, None)

    async def _schedule(self) -> None:
        while True:
            try:
                for target in await due_refreshes(datetime.now(UTC)):
                    await self.enqueue(*target)
            except Exception:
                logger.exception("embedded scheduler failed")
            await asyncio.sleep(self._deps.settings.schedule_every_seconds)

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
