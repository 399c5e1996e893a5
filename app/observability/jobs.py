"""Worker metrics: a wrapper around each arq job function recording its outcome and time.

The wrapper keeps the function's name (arq enqueues by name) and re-raises whatever the job
raises, so arq behaves exactly as without it. What a returned value means is the worker's
business: it passes `outcome_of`.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq import Retry
from arq.typing import WorkerCoroutine

from app.observability import metrics

R = TypeVar("R")


def instrument_job(
    job: Callable[..., Awaitable[R]], outcome_of: Callable[[R], str]
) -> WorkerCoroutine:
    """`job`, counted in creatoraudit_worker_jobs_total and timed, under its own name."""
    name = job.__name__

    @functools.wraps(job)
    async def instrumented(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> R:
        started = time.perf_counter()
        outcome = "failed"
        metrics.JOBS_IN_PROGRESS.labels(name).inc()
        try:
            result = await job(ctx, *args, **kwargs)
            outcome = outcome_of(result)
            return result
        except Retry:
            outcome = "retried"
            raise
        except asyncio.CancelledError:  # arq's job timeout, or the worker stopping
            outcome = "cancelled"
            raise
        finally:
            metrics.JOBS_IN_PROGRESS.labels(name).dec()
            metrics.JOBS.labels(name, outcome).inc()
            metrics.JOB_DURATION.labels(name, outcome).observe(time.perf_counter() - started)

    return instrumented
