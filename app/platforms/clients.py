"""Each platform's client, built from the settings: the one place that names the clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import ClientSession

from app.identifiers import Platform
from app.platforms.budget import Budget
from app.platforms.instagram.client import InstagramClient
from app.platforms.interface import PlatformClient
from app.platforms.tiktok.client import TikTokClient
from app.settings import Settings

__all__ = ["FACTORIES", "ClientFactory"]


@dataclass(frozen=True, slots=True)
class ClientFactory:
    """How to build one platform's client: its budget (requests, window) and the client."""

    limits: Callable[[Settings], tuple[int, float]]
    build: Callable[[ClientSession, Settings, Budget], PlatformClient]


FACTORIES: Final[dict[Platform, ClientFactory]] = {
    Platform.INSTAGRAM: ClientFactory(
        limits=lambda s: (s.instagram.budget_requests, s.instagram.budget_window_seconds),
        build=lambda session, s, budget: InstagramClient(session, s.instagram, budget=budget),
    ),
    Platform.TIKTOK: ClientFactory(
        limits=lambda s: (s.tiktok.budget_requests, s.tiktok.budget_window_seconds),
        build=lambda session, s, budget: TikTokClient(session, s.tiktok, budget=budget),
    ),
}
