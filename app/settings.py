"""The one settings object, read from CREATORAUDIT_* environment variables."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-insecure-secret-change-me"
# A refresh job stops itself this long before arq's timeout would cancel it, to record the
# overrun as a failed try (a Redis write, on the last try a row update) while it still can.
JOB_GRACE_SECONDS = 2.0


class InstagramSettings(BaseModel):
    """Instagram Graph API (Business Discovery) endpoint and credentials."""

    base_url: str = "http://127.0.0.1:9000/instagram"
    api_version: str = "v25.0"
    ig_user_id: str = "17841405309211844"
    access_token: SecretStr = SecretStr("simulator-token")
    # Platform rate limits: 200 calls per user per rolling hour (PLATFORMS.md §1.7).
    budget_requests: int = Field(default=200, ge=1)
    budget_window_seconds: float = Field(default=3600, gt=0)
    # Once X-App-Usage reaches 95 %, send nothing for this long (a rolling hour drains slowly).
    usage_pause_seconds: float = Field(default=300, ge=0)


class TikTokSettings(BaseModel):
    """TikTok Research API endpoint and client credentials."""

    base_url: str = "http://127.0.0.1:9000/tiktok"
    client_key: str = "simulator-client"
    client_secret: SecretStr = SecretStr("simulator-secret")
    # Research API quota: 1,000 requests per project per UTC day (PLATFORMS.md §2.5).
    budget_requests: int = Field(default=1000, ge=1)
    budget_window_seconds: float = Field(default=86400, gt=0)


class WorkerSettings(BaseModel):
    """How refreshes run: concurrency, timeouts, retries and throttling back-off."""

    # Refreshes one worker runs at once. A refresh is mostly waiting for upstream (its write is
    # one short transaction), so one process keeps 40 in flight; the budgets bound the rate.
    max_jobs: int = Field(default=40, ge=1, le=1000)
    # How long one refresh job may run before arq cancels it. None (the default): each job
    # function gets its own, sized from what it asks upstream and writes (app.worker.timeouts,
    # README: job timeouts); a number gives every refresh function that timeout. A killed
    # worker's jobs run again once the longest timeout + 10 s have passed since they started.
    job_timeout_seconds: float | None = Field(default=None, ge=JOB_GRACE_SECONDS + 1, le=86400)
    # Embedded mode (no Redis): refreshes at once inside the API process.
    embedded_concurrency: int = Field(default=4, ge=1, le=100)
    schedule_every_seconds: float = Field(default=60.0, gt=0)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    # Transient failures (5xx, timeouts, bad bodies): back-off base × 2^(n−1) with jitter.
    max_transient_tries: int = Field(default=8, ge=1, le=50)
    backoff_base_seconds: float = Field(default=10.0, ge=0)
    max_backoff_seconds: float = Field(default=3600.0, gt=0)
    # Throttling the platform does not time (no Retry-After or usage figure): first wait.
    throttle_backoff_seconds: float = Field(default=60.0, ge=0)
    # Longest single wait after throttling, even when the platform asks for more (TikTok's
    # daily quota: until 00:00 UTC). Lower it only where upstream throttles at random (tests).
    max_throttle_wait_seconds: float = Field(default=86400.0, ge=0)
    # Failures that are not the platform's (a database error, a bug of ours): attempts before
    # the object goes to ERROR until its next interval, `failure_backoff_seconds` × 2^(n−1)
    # apart (at most 30 s inside a job, `max_backoff_seconds` between jobs). Recording a
    # fetched answer is retried with that answer, never fetched again.
    max_failed_attempts: int = Field(default=3, ge=1, le=20)
    failure_backoff_seconds: float = Field(default=5.0, ge=0, le=300)
    # Redis or the database unreachable: the worker polls Redis again after 0.5 s, doubling up
    # to this; a job that met the outage runs again after half to all of `outage_retry_seconds`.
    reconnect_max_seconds: float = Field(default=30.0, gt=0)
    outage_retry_seconds: float = Field(default=30.0, gt=0)


class LimitSettings(BaseModel):
    """Bounds applied to every GraphQL request and operation before it runs."""

    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    # Tokens, fields and overlap checks are sized so that no document within them keeps the
    # event loop for more than 50 ms before it executes, even on a loaded machine
    # (`creatoraudit benchmark-limits`, README: protection): parsing and validating cost
    # ≈ 8 µs a token, ≈ 50 µs a field, 5-15 µs a check. GraphiQL's introspection query has
    # 184 tokens and 230 fields, the dashboard 174 and 98, a document asking every scope's
    # metrics, series and comparison (tests/metrics/harness.py) 435 fields.
    max_tokens: int = Field(default=1000, ge=1)
    max_batch_ids: int = Field(default=200, ge=1)
    # Fields of one selection set once its fragments are expanded, and of the whole document.
    max_fields_per_selection: int = Field(default=100, ge=1)
    max_total_fields: int = Field(default=450, ge=1)
    # Comparisons graphql-core's OverlappingFieldsCanBeMerged rule may make: it is quadratic
    # in the fields and fragment spreads sharing a response path. Introspection and the
    # dashboard need 10.
    max_overlap_checks: int = Field(default=1_000, ge=1)
    # Cost points one operation may ask for (README: the cost model).
    max_cost: int = Field(default=25_000, ge=1)
    # Request bodies (POST) over this many bytes are refused with 413.
    max_body_bytes: int = Field(default=100_000, ge=1024)
    # GET query strings over this many bytes are refused with 414. It must stay below what
    # uvicorn's HTTP parser (httptools) accepts: a request target of at most 65,535 bytes, i.e.
    # a query string of 65,526 after `/graphql?`; longer ones get uvicorn's own plain-text 400.
    max_query_string_bytes: int = Field(default=60_000, ge=1024, le=65_000)
    # A body not received whole within this many seconds is refused with 408 and the connection
    # closed (slow-body clients). Slow headers need the front proxy (docker/nginx.conf).
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Introspection (`__schema`, `__type`) can be switched off per deployment.
    introspection: bool = True


class RateLimitSettings(BaseModel):
    """Cost-based rate limit per API key: a bucket of points refilled over a window."""

    enabled: bool = True
    # Default bucket size per key (organizations may have their own, see README).
    points: int = Field(default=100_000, ge=1, le=10_000_000)
    # An empty bucket is full again after this many seconds (refilled continuously).
    window_seconds: float = Field(default=60.0, gt=0)
    # Buckets live in Redis at `<redis_prefix>:<API key id>`: give each deployment (or test
    # session) sharing one Redis its own prefix, or equal key ids share a budget.
    redis_prefix: str = Field(default="creatoraudit:ratelimit", min_length=1, max_length=200)


class PersistedQuerySettings(BaseModel):
    """Automatic persisted queries and trusted documents (SPEC §9)."""

    # Deployment-wide persisted-only mode: only trusted documents run.
    only: bool = False
    # How long an APQ registration lives in Redis after its last use.
    apq_ttl_seconds: int = Field(default=30 * 86400, ge=60)
    # Registrations live in Redis at `<apq_redis_prefix><sha256>` (a hash names one text, so
    # sharing them is harmless; a prefix of its own keeps a deployment's Redis to itself).
    apq_redis_prefix: str = Field(default="creatoraudit:apq:", min_length=1, max_length=200)
    # Prepared (parsed, validated, measured) documents kept per process, by count and by
    # estimated bytes (README: hostile input); the same byte bound applies to the APQ
    # registrations kept in process memory when there is no Redis.
    cache_size: int = Field(default=2000, ge=16)
    cache_bytes: int = Field(default=32 * 1024 * 1024, ge=1024 * 1024)
    # A trusted document removed with `documents remove` stops working within this time.
    trusted_cache_seconds: float = Field(default=60.0, ge=0)


def _loopback() -> list[IPv4Network | IPv6Network]:
    return [IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")]


class MetricsSettings(BaseModel):
    """Prometheus metrics: served on a listener of their own, never on the API's port."""

    # 0: no metrics listener in this process (the default). Metrics are still recorded, and
    # with `multiproc_dir` another process sharing the directory serves them.
    port: int = Field(default=0, ge=0, le=65535)
    # Loopback by default: a scraper on another host needs the host and `allow` changed.
    host: str = "127.0.0.1"
    # Client networks allowed to scrape; others get 403.
    allow: list[IPvAnyNetwork] = Field(default_factory=_loopback)
    # A directory shared by every process of one host (API and workers): each writes its
    # metrics there and any listener serves the sum (prometheus-client's multiprocess mode).
    multiproc_dir: str | None = None
    # Distinct operation names labelled per process; later names are counted as "other".
    max_operations: int = Field(default=100, ge=1, le=10_000)


class CollectorSettings(BaseModel):
    """How `serve` tunes CPython's cyclic garbage collector once the app has started."""

    # Move everything alive after start-up (modules, schema, plans) out of the collector's
    # reach: full collections then only walk what requests allocate.
    freeze: bool = True
    # Net container allocations between young collections; 0 keeps CPython's 700. A dashboard
    # request frees what it allocates by reference counting (its loaders are released), but at
    # 700 about 14 young collections per request still walk whatever it holds at the moment:
    # ≈ 4 ms of its CPU. At 50,000 a collection happens about once per 30 requests (≈ 0.3 ms
    # per request) and leaves at most ~50,000 garbage objects waiting.
    young_threshold: int = Field(default=50_000, ge=0, le=10_000_000)
    # Young collections between middle ones, and middle ones between full ones (CPython: 10
    # and 10; 0 keeps those). Measured: raising them only delays the same work into longer
    # pauses, so they stay at CPython's values; the settings exist to measure that again.
    middle_threshold: int = Field(default=0, ge=0, le=100_000)
    old_threshold: int = Field(default=0, ge=0, le=100_000)


class TimeoutSettings(BaseModel):
    """How long Redis and the database may take to answer before it counts as an outage."""

    # Connecting to Redis, and each command: a hung Redis (accepting, never answering) is
    # then an outage like a stopped one (503, deferred jobs) instead of a request that hangs.
    redis_seconds: float = Field(default=5.0, gt=0, le=300)
    # Opening a database connection (TCP and authentication).
    database_connect_seconds: float = Field(default=5.0, gt=0, le=300)
    # One statement of `serve` (requests take milliseconds, see README). A statement over it is
    # cancelled and treated as an outage; cancelling takes at most as long again, so a hung
    # database answers a request with 503 within twice this.
    database_statement_seconds: float = Field(default=15.0, gt=0, le=3600)
    # One statement of the worker. A statement over it is cancelled (cancelling takes at most as
    # long again) and the job is deferred as during an outage, so a write stuck behind another
    # writer's locks ends within twice this: the refresh job timeouts include twice this for
    # the write, and an operator's `worker.job_timeout_seconds` must leave room for it (checked
    # below), so a statement never outlives its job. A refresh's write takes milliseconds; an
    # import batch holding the same scopes' locks longer defers the refresh, it does not fail.
    database_worker_statement_seconds: float = Field(default=5.0, gt=0, le=600)
    # One statement of the other commands: `import` batches, `migrate` (an index on a large
    # table), `org`, `key`… 0 = no limit.
    database_long_statement_seconds: float = Field(default=600.0, ge=0)


class Settings(BaseSettings):
    """Runtime configuration. Nested groups use `__`: CREATORAUDIT_TIKTOK__BASE_URL."""

    model_config = SettingsConfigDict(
        env_prefix="CREATORAUDIT_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite://creatoraudit.sqlite3"
    redis_url: str | None = None
    # Without Redis, `serve` refreshes inside the API process (the one-command demo).
    embedded_worker: bool = True
    queue_name: str = "creatoraudit:refresh"
    secret_key: SecretStr = SecretStr(_DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # auto: readable lines on a terminal, JSON lines otherwise (files, pipes, containers).
    log_format: Literal["auto", "text", "json"] = "auto"
    # Older switch, still honoured when LOG_FORMAT is auto: true = json, false = text.
    log_json: bool | None = None
    default_max_recent_posts: int = Field(default=50, ge=1, le=500)
    default_lookback_days: int = Field(default=90, ge=1, le=366)
    idempotency_ttl_seconds: int = Field(default=600, ge=1)
    # Bytes of query answers each API process keeps (README: Result cache); 0 turns it off.
    result_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    timeouts: TimeoutSettings = TimeoutSettings()
    limits: LimitSettings = LimitSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    persisted_queries: PersistedQuerySettings = PersistedQuerySettings()
    # Browser origins allowed to call the API (CORS); none by default.
    cors_allow_origins: list[str] = []
    worker: WorkerSettings = WorkerSettings()
    collector: CollectorSettings = CollectorSettings()
    metrics: MetricsSettings = MetricsSettings()
    instagram: InstagramSettings = InstagramSettings()
    tiktok: TikTokSettings = TikTokSettings()

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == _DEV_SECRET:
            raise ValueError("CREATORAUDIT_SECRET_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _refuse_any_origin_in_production(self) -> Settings:
        if self.environment == "production" and "*" in self.cors_allow_origins:
            raise ValueError(
                'CREATORAUDIT_CORS_ALLOW_ORIGINS must list origins in production, not "*" '
                "(any web page could call the API with a key it holds)"
            )
        return self

    @model_validator(mode="after")
    def _worker_statements_fit_the_job(self) -> Settings:
        job = self.worker.job_timeout_seconds
        statement = self.timeouts.database_worker_statement_seconds
        if job is not None and 2 * statement > job - JOB_GRACE_SECONDS:
            raise ValueError(
                f"CREATORAUDIT_WORKER__JOB_TIMEOUT_SECONDS ({job:g}) must be at least twice "
                f"CREATORAUDIT_TIMEOUTS__DATABASE_WORKER_STATEMENT_SECONDS ({statement:g}) + "
                f"{JOB_GRACE_SECONDS:g} s: a statement stuck on a lock (and its cancellation) "
                "must end before the job is cancelled"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")
