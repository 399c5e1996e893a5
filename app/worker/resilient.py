"""An arq worker that waits out Redis outages instead of exiting.

arq 0.28 lets a `redis.exceptions.ConnectionError` raised in its poll loop escape
`Worker.main()`, so one Redis restart ends every worker process (python-arq/arq #435, #498,
#386; still open). This subclass catches Redis outages around each poll iteration, logs the
outage once, polls Redis with a growing delay until it answers, and resumes the same loop: the
jobs already running keep running, and the cron schedule carries on.

It relies on two arq internals, checked against the pinned arq 0.28.0: the loop calls
`_poll_iteration()` every `poll_delay`, and `start_jobs()` takes a concurrency slot before the
Redis round trip that starts a job.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from arq.worker import Worker

from app.outages import OutageLog, Service, outage_of

FIRST_RECONNECT_DELAY = 0.5


class ResilientWorker(Worker):
    """`arq.worker.Worker` that rides out Redis restarts and outages."""

    def __init__(self, *args: Any, reconnect_max_seconds: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reconnect_max = reconnect_max_seconds
        self._outages = OutageLog("the worker")

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except Exception as exc:
            # A failed job task re-raises here too (arq surfaces run_job errors this way).
            if outage_of(exc) is not Service.REDIS:
                raise
            self._outages.failed(Service.REDIS, exc)
            await self._wait_for_redis()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """Start jobs; a Redis failure gives back the slot arq took for the job being started."""
        try:
            await super().start_jobs(job_ids)
        except Exception as exc:
            if outage_of(exc) is Service.REDIS:
                # arq releases a slot only when a job's task ends, and this job got no task:
                # without this, every outage at that moment would leak one of `max_jobs`.
                self._release_sem_dec_counter_on_complete()
            raise

    async def close(self) -> None:
        """arq's close; with Redis down it still runs the shutdown hook and exits cleanly.

        arq deletes its health-check key first and skips the rest if that fails, which would
        leave the database connections open and end a SIGTERM during an outage with an error.
        """
        try:
            await super().close()
        except Exception as exc:
            if outage_of(exc) is not Service.REDIS or self._pool is None:
                raise
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)
            await self._pool.close(close_connection_pool=True)
            self._pool = None

    async def _wait_for_redis(self) -> None:
        """Ping Redis with a doubling delay (with jitter, capped) until it answers."""
        delay = FIRST_RECONNECT_DELAY
        while True:
            await asyncio.sleep(random.uniform(delay / 2, delay))
            try:
                await self.pool.ping()
            except Exception as exc:
                if outage_of(exc) is not Service.REDIS:
                    raise
                delay = min(delay * 2, self._reconnect_max)
            else:
                self._outages.recovered(Service.REDIS)
                return
