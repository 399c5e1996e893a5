"""What the store is given to record: observations of a video's or a profile's counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from app.counts import check_count
from app.identifiers import Platform
from app.metrics.attribution import COUNTERS
from app.platforms.registry import spec

__all__ = [
    "PROFILE_FIELDS",
    "Counters",
    "ProfileCounters",
    "VideoCounters",
    "check_counts",
    "utc_date",
]

PROFILE_FIELDS = ("followers", "following", "posts")


@dataclass(frozen=True, slots=True)
class VideoCounters:
    """One observation of a video's cumulative counters (None = not reported)."""

    observed_at: datetime
    views: int | None = None
    plays: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None

    def normalised(self, platform: Platform) -> VideoCounters:
        """As the platform reports them: e.g. TikTok's plays are its views and it has no saves."""
        facts = spec(platform)
        plays = self.views if facts.plays_are_views else self.plays
        saves = None if "saves" in facts.never_reported else self.saves
        if plays == self.plays and saves == self.saves:
            return self
        return replace(self, plays=plays, saves=saves)


@dataclass(frozen=True, slots=True)
class ProfileCounters:
    """One observation of an account's profile counters (None = not reported)."""

    observed_at: datetime
    followers: int | None = None
    following: int | None = None
    posts: int | None = None


Counters = VideoCounters | ProfileCounters


def utc_date(moment: datetime) -> date:
    """The UTC date of a moment (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def check_counts(observations: Sequence[Any], names: Sequence[str] = COUNTERS) -> None:
    """Refuse, before writing anything, a counter outside [0, MAX_COUNT] (`CountOutOfRange`).

    Every source bounds its values already (the importer's bad rows, the platform clients'
    unknown values); this guard keeps a future path from overflowing the aggregate sums.
    """
    for observation in observations:
        for name in names:
            check_count(name, getattr(observation, name))
