"""The simulator's aiohttp application: both platforms plus an admin API for tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from app.simulator import instagram, tiktok
from app.simulator.clock import SimClock
from app.simulator.faults import Faults
from app.simulator.world import World

WORLD = web.AppKey("world", World)
FAULTS = web.AppKey("faults", Faults)
CLOCK = web.AppKey("clock", SimClock)


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
    app = web.Application()
    app[WORLD] = world
    app[FAULTS] = faults
    app[CLOCK] = clock
    app.router.add_post("/_sim/faults", set_faults)
    app.router.add_post("/_sim/clock", set_clock)
    app.add_subapp("/instagram", instagram.create_app(world, faults))
    app.add_subapp("/tiktok", tiktok.create_app(world, faults))
    return app


def run(host: str, port: int, seed: int) -> None:
    """Serve the simulator until interrupted."""
    # No access log: URLs can carry access tokens.
    web.run_app(create_simulator(seed), host=host, port=port, print=None, access_log=None)
