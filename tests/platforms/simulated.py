"""Settings whose platform clients talk to a running simulator (tests' shared helper)."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from app.settings import InstagramSettings, Settings, TikTokSettings


def pointed_at(settings: Settings, simulator: TestServer) -> Settings:
    """`settings` with both platforms' base URLs on `simulator`."""
    return settings.model_copy(
        update={
            "instagram": InstagramSettings(base_url=str(simulator.make_url("/instagram"))),
            "tiktok": TikTokSettings(base_url=str(simulator.make_url("/tiktok"))),
        }
    )
