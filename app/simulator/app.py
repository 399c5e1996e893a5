"""The simulator's aiohttp application: both platforms plus an admin API for tests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from app.simulator import instagram, tiktok
from app.simulator.clock import SimClock
from app.simulator.faults import Faults
from app.simulator.world import World

WORLD = web.AppKey("world", World)
FAULTS = web.AppKey("faults", Faults)
CLOCK = web.AppKey("clock", SimClock)


@dataclass
class RequestLog:
    """Arrival times of platform requests, kept only while `recording` (benchmarks set it).

    `entries` holds (`instagram` or `tiktok`, `time.time()`) in arrival order, noted before the
    platform's own latency and faults, so it is what the platform would count.
    """

    recording: bool = False
    entries: list[tuple[str, float]] = field(default_factory=list)


REQUEST_LOG = web.AppKey("request_log", RequestLog)
_PLATFORM_PREFIXES = ("instagram", "tiktok")


async def set_faults(request: web.Request) -> web.Response:
    """POST /_sim/faults {"rate_limit": 0.2, ...}: replace the fault settings."""
    body = await request.json()
    faults = request.app[FAULTS]
    for name in (
        "rate_limit",
        "server_error",
        "timeout",
        "malformed",
        "latency_ms",
        "timeout_seconds",
        "seed",
    ):
        if name in body:
            setattr(faults, name, body[name])
    faults.reseed()
    return web.json_response({"ok": True})


async def set_clock(request: web.Request) -> web.Response:
    """POST /_sim/clock {"now": iso} or {"advance_days": n}: move simulated time."""
    body = await request.json()
    clock = request.app[CLOCK]
    if "now" in body:
        clock.frozen = datetime.fromisoformat(body["now"])
    if "advance_days" in body:
        clock.advance(timedelta(days=float(body["advance_days"])))
    return web.json_response({"now": clock().isoformat()})


def create_simulator(seed: int = 7, clock: SimClock | None = None) -> web.Application:
    """The whole simulator: `/instagram/…`, `/tiktok/…` and `/_sim/…`."""
    clock = clock or SimClock()
    world = World(seed=seed, clock=clock)
    faults = Faults()
    log = RequestLog()

    @web.middleware
    async def note_request(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if log.recording:
            prefix = request.path.split("/", 2)[1]
            if prefix in _PLATFORM_PREFIXES:
                log.entries.append((prefix, time.time()))
        return await handler(request)

    app = web.Application(middlewares=[note_request])
    app[WORLD] = world
    app[FAULTS] = faults
    app[CLOCK] = clock
    app[REQUEST_LOG] = log
    app.router.add_post("/_sim/faults", set_faults)
    app.router.add_post("/_sim/clock", set_clock)
    app.add_subapp("/instagram", instagram.create_app(world, faults))
    app.add_subapp("/tiktok", tiktok.create_app(world, faults))
    return app


def run(host: str, port: int, seed: int) -> None:
    """Serve the simulator until interrupted."""
    # No access log: URLs can carry access tokens.
    web.run_app(create_simulator(seed), host=host, port=port, print=None, access_log=None)
