"""Recording a refresh's answer for each row that tracks it, retried without asking again.

A refresh asks upstream once, then records the answer for every account (or individual
video) row tracking that profile (or post) in one transaction (`record_together`); if that
fails, one row after the other (`record_each`). Recording a row can fail
for a reason that is ours, not the platform's: the database refused a write, a bug. Such a row
is recorded again from the same answer — upstream is not asked again — up to `attempts` times
in all, with a pause that doubles; then it goes to `ERROR` with a message, and its next refresh
comes an interval later. The other rows are recorded as usual. Every write of a recording is
idempotent and each write is one transaction, so an attempt completes what a failed one
left half done. An outage (the database unreachable, `app.outages`) is not such a failure: it
is raised for the job to wait for the service and run again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from app import models
from app.metrics import versions
from app.models import Availability
from app.outages import outage_of

__all__ = [
    "ONCE",
    "RecordRetry",
    "failure_message",
    "record_each",
    "record_together",
    "record_unavailable",
]

logger = logging.getLogger("creatoraudit.worker")

Row = TypeVar("Row", models.Account, models.Video)

# Pauses happen inside the job, which holds a worker slot and has a time limit: keep them short.
MAX_PAUSE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class RecordRetry:
    """How often recording one row is attempted, and the first pause between attempts."""

    attempts: int = 1
    backoff_seconds: float = 0.0


ONCE = RecordRetry()  # no retry: what a caller without a worker's settings gets


def failure_message(step: str, attempts: int, error: BaseException) -> str:
    """The `lastError` of a row given up after failures of ours: what failed, not the details.

    Exception texts can carry SQL and other rows' values; they go to the worker log only.
    """
    times = "once" if attempts == 1 else f"{attempts} times"
    return (
        f"{step} failed {times} on our side ({type(error).__name__}), not the platform's; "
        "the next refresh comes at the usual interval"
    )


async def record_each(
    rows: Sequence[Row],
    record: Callable[[Row], Awaitable[None]],
    retry: RecordRetry,
    moment: datetime,
) -> int:
    """Run `record(row)` for every row, each retried on failure; return how many gave up."""
    failed = 0
    for row in rows:
        for attempt in range(1, retry.attempts + 1):
            try:
                await record(row)
                break
            except Exception as error:
                if outage_of(error) is not None:
                    raise  # not a failure of this row: the job waits for the service

                logger.exception(
                    "worker.record_failed",
                    extra={"table": row._meta.db_table, "id": row.id, "attempt": attempt},
                )
                if attempt == retry.attempts:
                    failed += 1
                    message = failure_message("recording this refresh", attempt, error)
                    await record_unavailable([row], Availability.ERROR, message, moment)
                else:
                    pause = retry.backoff_seconds * 2 ** (attempt - 1)
                    await asyncio.sleep(min(pause, MAX_PAUSE_SECONDS))
    return failed


async def record_together(
    rows: Sequence[Row],
    record: Callable[[Sequence[Row]], Awaitable[None]],
    retry: RecordRetry,
    moment: datetime,
) -> int:
    """Run `record(rows)` once for all rows (one transaction); return how many gave up.

    When that fails on our side, each row is recorded on its own, with `retry` (`record_each`):
    a row the database refuses cannot keep the other organizations' rows from being recorded.
    """
    if len(rows) > 1:
        try:
            await record(rows)
            return 0
        except Exception as error:
            if outage_of(error) is not None:
                raise
            logger.exception(
                "worker.record_together_failed",
                extra={"table": rows[0]._meta.db_table, "rows": len(rows)},
            )
    return await record_each(rows, lambda row: record([row]), retry, moment)


async def record_unavailable(
    rows: Sequence[models.Account] | Sequence[models.Video],
    state: Availability,
    message: str,
    moment: datetime,
) -> None:
    """Record a refresh that ended without data; the next one comes an interval later.

    The message is kept only with ERROR: the other states say everything themselves. One
    transaction for every row, moving each organization's data version once.
    """
    async with versions.writing(*{row.organization_id for row in rows}):
        for row in rows:
            await (
                type(row)
                .filter(id=row.id)
                .update(
                    availability=state,
                    last_error=message if state is Availability.ERROR else None,
                    last_error_at=moment if state is Availability.ERROR else None,
                    last_scrape_at=moment,
                    first_scrape_at=row.first_scrape_at or moment,
                    next_scrape_at=moment + timedelta(hours=row.scrape_interval_hours),
                )
            )
