"""What a platform client is: the reads every platform answers, whatever its wire format."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from app.identifiers import Platform
from app.platforms.values import Post, Profile

__all__ = ["Insight", "PlatformClient", "ReadKind"]

Insight = tuple[int | None, int | None]  # (saves, shares) from owner insights; None: absent


class ReadKind(StrEnum):
    """What one refresh reads upstream (and what a refresh job fetches)."""

    PROFILE = "profile"  # the profile and its recent posts
    VIDEO = "video"  # one post


@runtime_checkable
class PlatformClient(Protocol):
    """One platform's reads. Every failure upstream is raised as a `PlatformError`.

    `supports_insights` says whether `media_insights` (owner insights, read with the media
    owner's own token) exists on the platform; where it does not, calling it raises.
    """

    platform: Platform
    supports_insights: bool

    async def get_profile(self, handle: str) -> Profile:
        """The public profile of `handle`."""
        ...

    async def recent_posts(self, handle: str, *, limit: int, since: datetime) -> list[Post]:
        """The profile's newest posts published since `since`, at most `limit`."""
        ...

    async def post(self, media_id: str, author: str | None) -> Post | None:
        """One post by its canonical id, or None when it is gone."""
        ...

    async def media_insights(self, graph_media_id: str, owner_token: str) -> Insight:
        """(saves, shares) of one of the token owner's media; None when a metric is absent."""
        ...

    def expected_requests(self, kind: ReadKind) -> int:
        """Upstream requests a read of `kind` usually costs (reserved before it starts)."""
        ...
