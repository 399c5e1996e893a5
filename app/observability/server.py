"""The metrics listener: GET /metrics on its own host and port, for allowed clients only.

An aiohttp server inside the process's event loop (the API's or the worker's), so it needs no
thread and can read Redis at scrape time. It is never mounted on the API's port.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from app.observability import metrics
from app.observability.multiproc import ENV
from app.observability.samplers import Sampler
from app.settings import MetricsSettings

Network = IPv4Network | IPv6Network


def allowed(remote: str | None, networks: Sequence[Network]) -> bool:
    """Whether a client address is inside one of the allowed networks."""
    if not remote:
        return False
    try:
        address = ip_address(remote)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def exposition(sampled: CollectorRegistry) -> bytes:
    """The text format of every metric: this process's, or the whole shared directory's."""
    directory = os.environ.get(ENV)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, directory)  # type: ignore[no-untyped-call]
        recorded = generate_latest(registry)
    else:
        recorded = generate_latest(metrics.REGISTRY)
    return recorded + generate_latest(sampled)


class MetricsServer:
    """Serves /metrics until stopped."""

    def __init__(self, settings: MetricsSettings, sampler: Sampler) -> None:
        self._settings = settings
        self._sampler = sampler
        self._runner: web.AppRunner | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        if not allowed(request.remote, self._settings.allow):
            return web.Response(status=403, text="metrics: client address not allowed\n")
        sampled = CollectorRegistry()
        sampled.register(await self._sampler.collect())
        # Reading (and, with a shared directory, merging) the files is blocking work.
        body = await asyncio.to_thread(exposition, sampled)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        """Listen on the configured host and port (an OSError if it cannot)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._settings.host, self._settings.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                exc.errno,
                f"metrics: cannot listen on {self._settings.host}:{self._settings.port} "
                f"({exc.strerror}); set CREATORAUDIT_METRICS__PORT to a free port, or 0",
            ) from exc
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def start_metrics_server(settings: MetricsSettings, sampler: Sampler) -> MetricsServer | None:
    """A running listener, or None when the port is 0 (metrics not served by this process)."""
    if settings.port == 0:
        return None
    server = MetricsServer(settings, sampler)
    await server.start()
    return server
