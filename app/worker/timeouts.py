"""How long a refresh job may run: sized from what it asks upstream and what it writes.

arq marks a running job in Redis (`arq:in-progress:<job id>`) when it starts it, for the
longest function timeout of the worker + 10 s (`Worker.in_progress_timeout_s`, arq 0.28), and
never renews the mark. A worker killed mid-job leaves the job in the queue with its mark; every
other worker skips it until the mark expires, then the next poll (`poll_delay`, 0.5 s) starts it
again. So a killed worker's job runs again at most `in_progress_seconds + poll_delay` after it
started, and the timeouts below, not a generous default, decide how long that is.

A refresh's time goes to its upstream requests, each bounded by `upstream_timeout_seconds`
(connect and every read), and to its write, whose statements are bounded by the worker's
statement timeout (a statement over it is cancelled, which takes at most as long again). The
timeout of a job function is therefore

    expected requests of its read (the most of any platform) × upstream timeout
    + 2 × the worker's statement timeout

and the job stops itself `JOB_GRACE_SECONDS` before it (`deadline`), so that an overrun is
recorded as a transient failure and retried with back-off (then ERROR), instead of arq's
cancellation, which would drop the failure count. A job that makes more requests than
expected (more feed pages, owner insights, a token renewal) or pauses to record a row again
has the same budget: it fits as long as its requests answer faster than the timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.platforms.clients import most_expected_requests
from app.platforms.interface import ReadKind
from app.settings import JOB_GRACE_SECONDS, Settings

__all__ = ["ARQ_IN_PROGRESS_EXTRA_SECONDS", "JobTimeouts", "job_timeouts"]

# arq 0.28 (`Worker.__init__`): in_progress_timeout_s = max(function timeouts) + 10.
ARQ_IN_PROGRESS_EXTRA_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class JobTimeouts:
    """The arq timeout of each refresh job function, by what it reads, in seconds."""

    refresh: Mapping[ReadKind, float]

    def deadline(self, kind: ReadKind) -> float:
        """When a job of `kind` stops itself, before arq would cancel it."""
        return self.refresh[kind] - JOB_GRACE_SECONDS

    @property
    def longest(self) -> float:
        """The worker's default timeout: every function without its own gets this."""
        return max(self.refresh.values())

    @property
    def in_progress_seconds(self) -> float:
        """How long arq's in-progress mark of a started job lives (a killed worker's too)."""
        return self.longest + ARQ_IN_PROGRESS_EXTRA_SECONDS

    def rerun_bound(self, poll_delay: float = 0.5) -> float:
        """Seconds from a job's start to its start on another worker if its worker is killed.

        Provided another worker is running with a free slot: it starts the job at its first
        poll after the mark expired.
        """
        return self.in_progress_seconds + poll_delay


def job_timeouts(settings: Settings) -> JobTimeouts:
    """The refresh job timeouts for `settings` (the operator's override, else sized)."""
    override = settings.worker.job_timeout_seconds
    if override is not None:
        return JobTimeouts({kind: float(override) for kind in ReadKind})
    request = settings.worker.upstream_timeout_seconds
    write = 2 * settings.timeouts.database_worker_statement_seconds
    # Never less than a second of work after the grace, whatever tiny values a test sets.
    floor = JOB_GRACE_SECONDS + 1
    return JobTimeouts(
        {kind: max(floor, most_expected_requests(kind) * request + write) for kind in ReadKind}
    )
