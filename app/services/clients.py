"""The platform clients a refresh talks to, keyed by `Platform`, with their request budgets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import ClientSession

from app.identifiers import Platform
from app.platforms.budget import Budget
from app.platforms.clients import FACTORIES
from app.platforms.interface import PlatformClient, ReadKind
from app.platforms.values import Post, Profile
from app.security.crypto import SecretBox
from app.settings import Settings

__all__ = ["PlatformClients", "build_platform_clients"]


@dataclass(frozen=True, slots=True)
class PlatformClients:
    """One client per platform (`clients[platform]`), sharing the process's aiohttp session.

    `secret_box` opens the owners' insights tokens; without it no account counts as connected.
    """

    clients: Mapping[Platform, PlatformClient]
    secret_box: SecretBox | None = None
    budgets: Mapping[Platform, Budget] = field(default_factory=dict)

    def __getitem__(self, platform: Platform) -> PlatformClient:
        return self.clients[platform]

    def expected_requests(self, platform: Platform, kind: ReadKind) -> int:
        """Upstream requests a read of `kind` on `platform` usually costs."""
        return self.clients[platform].expected_requests(kind)

    async def reserve(self, platform: Platform, requests: int) -> float:
        """Reserve a job's expected requests: 0 when done, else seconds to wait (no budget: 0)."""
        budget = self.budgets.get(platform)
        return await budget.reserve(requests) if budget is not None else 0.0

    async def release(self, platform: Platform) -> None:
        """Give back what the current job reserved and did not use."""
        budget = self.budgets.get(platform)
        if budget is not None:
            await budget.release()

    async def profile(self, platform: Platform, handle: str) -> Profile:
        """The profile, from the right platform."""
        return await self.clients[platform].get_profile(handle)

    async def recent_posts(
        self, platform: Platform, handle: str, *, limit: int, since: datetime
    ) -> list[Post]:
        """The profile's newest posts published since `since`, at most `limit`."""
        return await self.clients[platform].recent_posts(handle, limit=limit, since=since)

    async def post(self, platform: Platform, media_id: str, author: str | None) -> Post | None:
        """One post, or None when it is gone (`AuthorUnknown` where the author is needed)."""
        return await self.clients[platform].post(media_id, author)


def build_platform_clients(
    session: ClientSession, settings: Settings, budget: Callable[[str, int, float], Budget]
) -> PlatformClients:
    """Every platform's client on one session, each behind `budget(platform, limit, window)`."""
    budgets = {
        platform: budget(platform.value, *factory.limits(settings))
        for platform, factory in FACTORIES.items()
    }
    return PlatformClients(
        {p: factory.build(session, settings, budgets[p]) for p, factory in FACTORIES.items()},
        secret_box=SecretBox(settings.secret_key.get_secret_value()),
        budgets=budgets,
    )
