"""Upstream metrics: an aiohttp trace on the shared session counts every platform request.

The platform clients know nothing of metrics; the composition roots (API lifespan, worker
startup) attach this trace to the session they give the clients. The platform is told by the
request's URL (the configured base URLs), the status is the HTTP status, or `timeout` /
`error` when no response came.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import aiohttp
from yarl import URL

from app.observability import metrics
from app.settings import Settings


class PlatformOfUrl:
    """Which platform a request URL belongs to, by the configured base URLs."""

    def __init__(self, bases: dict[str, str]) -> None:
        # Longest first, so a base inside another (same host, deeper path) wins.
        self._bases = sorted(
            ((str(URL(base)).rstrip("/") + "/", name) for base, name in bases.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def __call__(self, url: URL) -> str:
        text = str(url)
        for prefix, name in self._bases:
            if text.startswith(prefix):
                return name
        return "other"


def upstream_trace(settings: Settings) -> aiohttp.TraceConfig:
    """A trace config that records each request's platform, status and duration."""
    platform_of = PlatformOfUrl(
        {settings.instagram.base_url: "INSTAGRAM", settings.tiktok.base_url: "TIKTOK"}
    )
    trace = aiohttp.TraceConfig()

    async def started(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: object
    ) -> None:
        context.started = asyncio.get_running_loop().time()

    def record(context: SimpleNamespace, url: URL, status: str) -> None:
        platform = platform_of(url)
        metrics.UPSTREAM_REQUESTS.labels(platform, status).inc()
        elapsed = asyncio.get_running_loop().time() - getattr(context, "started", 0.0)
        metrics.UPSTREAM_DURATION.labels(platform).observe(elapsed)

    async def ended(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        record(context, params.url, str(params.response.status))

    async def failed(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        timed_out = isinstance(params.exception, TimeoutError)
        record(context, params.url, "timeout" if timed_out else "error")

    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return trace
