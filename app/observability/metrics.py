"""Every metric the processes record (names, labels and help are listed in the README).

Defined once per process on import; `multiproc.prepare` must have run before (it decides where
the values live). In-memory mode registers them in `REGISTRY`, exposed with the process's own
CPU and memory; in multiprocess mode the listener reads the shared directory instead.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# --- API ---------------------------------------------------------------------------------

GRAPHQL_REQUESTS = Counter(
    "creatoraudit_graphql_requests",
    "GraphQL HTTP requests answered, by operation name and HTTP status.",
    ["operation", "status"],
    registry=REGISTRY,
)
GRAPHQL_DURATION = Histogram(
    "creatoraudit_graphql_request_duration_seconds",
    "Time from a GraphQL request's arrival to its response, by operation name.",
    ["operation"],
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "creatoraudit_graphql_errors",
    "Errors in GraphQL responses, by extensions.code (one per error object).",
    ["code"],
    registry=REGISTRY,
)
GRAPHQL_RATE_LIMITED = Counter(
    "creatoraudit_graphql_rate_limited",
    "GraphQL requests refused by the rate limiter (HTTP 429), by operation name.",
    ["operation"],
    registry=REGISTRY,
)
GRAPHQL_RESULT_CACHE = Counter(
    "creatoraudit_graphql_result_cache",
    "Cacheable GraphQL queries by how the process's result cache answered them: hit (not "
    "executed) or miss (executed, then stored when the answer has no errors).",
    ["result"],
    registry=REGISTRY,
)
GRAPHQL_IN_PROGRESS = Gauge(
    "creatoraudit_graphql_requests_in_progress",
    "GraphQL requests being answered now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)

# --- Worker ------------------------------------------------------------------------------

JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

JOBS = Counter(
    "creatoraudit_worker_jobs",
    "Worker job runs by job and outcome: success, skipped (no longer due), retried "
    "(deferred by arq Retry), error (gave up), failed (raised), cancelled (timeout/stop).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "creatoraudit_worker_job_duration_seconds",
    "Time one job run took, by job and outcome.",
    ["job", "outcome"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
JOBS_IN_PROGRESS = Gauge(
    "creatoraudit_worker_jobs_in_progress",
    "Jobs running now, by job.",
    ["job"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)

# --- Upstream platforms ------------------------------------------------------------------

UPSTREAM_REQUESTS = Counter(
    "creatoraudit_upstream_requests",
    "HTTP requests to the platforms, by platform and HTTP status (or timeout, error).",
    ["platform", "status"],
    registry=REGISTRY,
)
UPSTREAM_DURATION = Histogram(
    "creatoraudit_upstream_request_duration_seconds",
    "Time until a platform's response headers (or the failure), by platform.",
    ["platform"],
    registry=REGISTRY,
)
