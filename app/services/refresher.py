"""What the API needs of wherever refreshes run (the worker implements it): a way to ask."""

from __future__ import annotations

from typing import Protocol

from app.platforms.interface import ReadKind

__all__ = ["Refresher"]


class Refresher(Protocol):
    """Accepts requests to refresh a profile or an individual post soon."""

    async def enqueue(self, kind: ReadKind, platform: str, key: str) -> None:
        """Ask for a refresh of this profile handle or post id as soon as possible."""
