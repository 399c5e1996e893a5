"""Settings whose platform clients talk to a running simulator (tests' shared helper)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestServer

from app.platforms.budget import LocalBudget
from app.platforms.http import create_session
from app.services.clients import PlatformClients, build_platform_clients
from app.settings import InstagramSettings, Settings, TikTokSettings


def pointed_at(settings: Settings, simulator: TestServer) -> Settings:
    """`settings` with both platforms' base URLs on `simulator`."""
    return settings.model_copy(
        update={
            "instagram": InstagramSettings(base_url=str(simulator.make_url("/instagram"))),
            "tiktok": TikTokSettings(base_url=str(simulator.make_url("/tiktok"))),
        }
    )


@asynccontextmanager
async def simulated_clients(
    settings: Settings, simulator: TestServer
) -> AsyncIterator[PlatformClients]:
    """Every platform's client on `simulator`, built as the API and the worker build them
    (local budgets)."""
    async with create_session(5.0) as session:
        yield build_platform_clients(
            session, pointed_at(settings, simulator), lambda _, n, w: LocalBudget(n, w)
        )
