"""The one-command demo: simulator, demo organization with history, and the API in one loop."""

from __future__ import annotations

import socket

import uvicorn
from aiohttp import web
from tortoise import Tortoise

from app import db
from app.demo import seed as demo
from app.demo.backfill import backfill_organization
from app.logs import settings_logging_config
from app.main import create_app
from app.preflight import StartupError
from app.security.crypto import SecretBox
from app.serving import bind_socket
from app.settings import InstagramSettings, Settings, TikTokSettings
from app.simulator.app import WORLD, create_simulator

SIMULATOR_PORT = 9000


async def run_demo(settings: Settings, host: str, port: int, simulator_port: int) -> None:
    """Start the simulator, seed and backfill the demo organization, then serve the API."""
    with bind_socket(host, port) as sock:  # a busy port is said in one line, before any work
        await _run_demo(settings, sock, host, port, simulator_port)


async def _start_simulator(simulator: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(simulator, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(
            f"port: the simulator cannot listen on 127.0.0.1:{port} ({exc.strerror}) — "
            "choose another with --simulator-port"
        ) from exc
    return runner


async def _run_demo(
    settings: Settings, sock: socket.socket, host: str, port: int, simulator_port: int
) -> None:
    simulator = create_simulator()
    runner = await _start_simulator(simulator, simulator_port)
    base = f"http://127.0.0.1:{simulator_port}"
    settings = settings.model_copy(
        update={
            "instagram": InstagramSettings(base_url=f"{base}/instagram"),
            "tiktok": TikTokSettings(base_url=f"{base}/tiktok"),
            # The demo's own GraphiQL, under either loopback name, plus whatever is configured.
            "cors_allow_origins": [
                *settings.cors_allow_origins,
                f"http://127.0.0.1:{port}",
                f"http://localhost:{port}",
            ],
        }
    )
    try:
        await db.migrate(settings)
        await Tortoise.init(config=db.tortoise_config(settings))
        try:
            videos = demo.demo_videos(simulator[WORLD])
            box = SecretBox(settings.secret_key.get_secret_value())
            organization_id, secret, fresh = await demo.seed_demo(simulator[WORLD], box, videos)
            if fresh:
                posts = await backfill_organization(organization_id, simulator[WORLD])
                print(f"Backfilled 90 days of simulated history ({posts} posts).")
        finally:
            await Tortoise.close_connections()
        print("CreatorAudit demo is ready.")
        print(f"  GraphiQL:  http://{host}:{port}/graphql (paste the API key when it asks)")
        print(f"  API key:   {secret}")
        print('  Header:    {"Authorization": "Bearer ' + secret + '"}')
        print(f"  Simulator: {base} (Instagram and TikTok wire formats)")
        config = uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            log_config=settings_logging_config(settings),  # uvicorn's lines through ours
            access_log=False,
        )
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        await runner.cleanup()
