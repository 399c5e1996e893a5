"""Each platform's client, built from the settings: the one place that names the clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import ClientSession

from app.identifiers import Platform
from app.platforms.budget import Budget
from app.platforms.instagram.client import InstagramClient
from app.platforms.interface import PlatformClient, ReadKind
from app.platforms.tiktok.client import TikTokClient
from app.settings import Settings

__all__ = ["FACTORIES", "ClientFactory", "most_expected_requests"]


@dataclass(frozen=True, slots=True)
class ClientFactory:
    """How to build one platform's client: its budget (requests, window) and the client.

    `expected` is the client's `expected_requests` by read, known before any client exists
    (the worker sizes its job timeouts from it before it opens a session).
    """

    limits: Callable[[Settings], tuple[int, float]]
    build: Callable[[ClientSession, Settings, Budget], PlatformClient]
    expected: Mapping[ReadKind, int]


FACTORIES: Final[dict[Platform, ClientFactory]] = {
    Platform.INSTAGRAM: ClientFactory(
        limits=lambda s: (s.instagram.budget_requests, s.instagram.budget_window_seconds),
        build=lambda session, s, budget: InstagramClient(session, s.instagram, budget=budget),
        expected=InstagramClient.EXPECTED_REQUESTS,
    ),
    Platform.TIKTOK: ClientFactory(
        limits=lambda s: (s.tiktok.budget_requests, s.tiktok.budget_window_seconds),
        build=lambda session, s, budget: TikTokClient(session, s.tiktok, budget=budget),
        expected=TikTokClient.EXPECTED_REQUESTS,
    ),
}


def most_expected_requests(kind: ReadKind) -> int:
    """The most requests a read of `kind` is expected to cost on any platform."""
    return max(factory.expected[kind] for factory in FACTORIES.values())
