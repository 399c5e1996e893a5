"""The ASGI application: routes, middleware and the lifespan that owns app-wide resources."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.connection import get_connection
from tortoise.contrib.starlette import RegisterTortoise

from app.cors import cors_middleware
from app.db import tortoise_config
from app.graphql.graphiql import STATIC_DIR, STATIC_MOUNT
from app.graphql.http import graphql_endpoint
from app.graphql.persisted import DocumentResolver, TrustedDocuments
from app.graphql.prepared import DocumentCache
from app.graphql.rate_limiting import RateGate
from app.graphql.result_cache import ResultCache
from app.graphql.schema import schema
from app.middleware import RequestContextMiddleware
from app.observability.http_metrics import MetricsMiddleware
from app.observability.multiproc import release_this_process
from app.observability.samplers import Counted
from app.observability.server import MetricsServer, start_metrics_server
from app.observability.upstream import upstream_trace
from app.observability.wiring import sampler_for, shared_budgets
from app.outages import open_redis, quiet_driver_retries, redis_settings
from app.platforms.budget import LocalBudget
from app.platforms.http import create_session
from app.services.query_registry import LocalQueryRegistry, QueryRegistry, RedisQueryRegistry
from app.services.rate_limit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from app.services.refresh import build_platform_clients
from app.settings import Settings
from app.worker.jobs import WorkerDeps
from app.worker.refreshers import ArqRefresher, EmbeddedRefresher


async def healthz(request: Request) -> Response:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database (and Redis, when configured) answer."""
    checks: dict[str, str] = {}
    try:
        await get_connection("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


def _open_request_services(app: Starlette, settings: Settings) -> None:
    """Document cache, persisted-query stores and the rate limiter, in Redis when configured."""
    redis = app.state.redis
    documents = settings.persisted_queries
    cache = DocumentCache(
        schema._schema, settings.limits, documents.cache_size, documents.cache_bytes
    )
    registry: QueryRegistry = (
        RedisQueryRegistry(redis, documents.apq_ttl_seconds, prefix=documents.apq_redis_prefix)
        if redis is not None
        else LocalQueryRegistry(max_bytes=documents.cache_bytes)
    )
    trusted = TrustedDocuments(cache, documents.trusted_cache_seconds)
    app.state.document_resolver = DocumentResolver(cache, trusted, registry)
    limiter: RateLimiter | None = None
    if settings.rate_limit.enabled:
        limiter = (
            RedisRateLimiter(redis, prefix=settings.rate_limit.redis_prefix)
            if redis is not None
            else LocalRateLimiter()
        )
    app.state.rate_gate = RateGate(limiter, settings)
    # Per process, shared with nothing: answers of queries until their organization's data moves.
    size = settings.result_cache_bytes
    app.state.result_cache = ResultCache(size) if size > 0 else None


async def _start_metrics(
    app: Starlette, settings: Settings, local_budgets: dict[str, Counted]
) -> MetricsServer | None:
    """The metrics listener (CREATORAUDIT_METRICS__PORT), reading the budgets workers share."""
    redis = app.state.redis
    budgets: Mapping[str, Counted] = local_budgets
    if redis is not None:
        budgets = shared_budgets(settings, redis, settings.queue_name)
    return await start_metrics_server(
        settings.metrics, sampler_for(settings, redis, settings.queue_name, budgets)
    )


def create_app(settings: Settings) -> Starlette:
    """Build the application for `settings`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_driver_retries()
        config = tortoise_config(settings, role="serve")
        async with RegisterTortoise(app, config=config):
            session = create_session(
                settings.worker.upstream_timeout_seconds, trace_configs=[upstream_trace(settings)]
            )
            budgets: dict[str, Counted] = {}

            def local_budget(platform: str, limit: int, window: float) -> LocalBudget:
                budget = budgets[platform] = LocalBudget(limit, window)
                return budget

            # Only embedded refreshes call upstream from here; workers have Redis budgets.
            clients = build_platform_clients(session, settings, local_budget)
            embedded: EmbeddedRefresher | None = None
            app.state.redis = None
            app.state.refresher = None
            if settings.redis_url:
                timeout = settings.timeouts.redis_seconds
                app.state.redis = await open_redis(
                    redis_settings(settings.redis_url, timeout), timeout
                )
                app.state.refresher = ArqRefresher(app.state.redis, settings.queue_name)
            elif settings.embedded_worker:
                embedded = EmbeddedRefresher(
                    WorkerDeps(clients, queue_name="embedded", settings=settings.worker)
                )
                embedded.start()
                app.state.refresher = embedded
            _open_request_services(app, settings)
            metrics_server = await _start_metrics(app, settings, budgets)
            try:
                yield
            finally:
                if metrics_server is not None:
                    await metrics_server.stop()
                release_this_process()
                if embedded is not None:
                    await embedded.stop()
                if app.state.redis is not None:
                    await app.state.redis.aclose()
                await session.close()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                graphql_endpoint,
                methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Mount(STATIC_MOUNT, StaticFiles(directory=STATIC_DIR), name="graphiql-static"),
        ],
        middleware=[
            Middleware(MetricsMiddleware, max_operations=settings.metrics.max_operations),
            Middleware(RequestContextMiddleware),
            *cors_middleware(settings),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
