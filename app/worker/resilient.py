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
from redis.exceptions import RedisError

from app.outages import OutageLog, Service, open_redis, outage_of

FIRST_RECONNECT_DELAY = 0.5


class ResilientWorker(Worker):
    """`arq.worker.Worker` that rides out Redis restarts and outages."""

    def __init__(
        self,
        *args: Any,
        reconnect_max_seconds: float = 30.0,
        redis_timeout_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._reconnect_max = reconnect_max_seconds
        self._redis_timeout = redis_timeout_seconds
        self._outages = OutageLog("the worker")

    async def main(self) -> None:
        """arq's main loop, on a pool whose every command has `redis_timeout_seconds`.

        arq would open its pool without a socket timeout: a hung Redis would stall the poll
        loop (and every job's Redis call) for good instead of being an outage to wait out.
        """
        settings = self.redis_settings
        if self._pool is None and self._redis_timeout is not None and settings is not None:
            self._pool = await open_redis(
                settings,
                self._redis_timeout,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        await super().main()

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except Exception as exc:
            # A failed job task re-raises here too (arq surfaces run_job errors this way).
            # Any Redis error ends the poll the same way: a worker that exited would not help
            # a Redis refusing commands (out of memory, read-only, MISCONF, a script error).
            if outage_of(exc) is not Service.REDIS and not isinstance(exc, RedisError):
                raise
            self._outages.failed(Service.REDIS, exc)
            await self._wait_for_redis()
        else:
            # Back only once a whole poll works: a ping that answers while the restarted
            # server still refuses work must not end the outage and log a second one.
            self._outages.recovered(Service.REDIS)

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
                return
