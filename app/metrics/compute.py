"""From cumulative rows to the numbers clients see: window values and comparisons.

Pure functions. A counter is null on a date before its scope's first-known date; a window's value
is null only when every date of it is null; aggregates sum their members' known values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date

from app.metrics.attribution import COLUMNS, COUNTERS, KnownFrom, Row
from app.metrics.windows import Window

_INDEX = {name: index for index, name in enumerate(COLUMNS)}
_ZERO: Row = (0,) * len(COLUMNS)


def engagement_rate(
    views: int | None, likes: int | None, comments: int | None, shares: int | None
) -> float | None:
    """(likes + comments + shares) / views × 100; null parts count as 0.

    Null when views is unknown, 0 or negative: a platform recount can make a window's views gain
    negative, and a rate over it would mislead (SPEC §3). Positive views never give -0.0.
    """
    if views is None or views <= 0:
        return None
    return ((likes or 0) + (comments or 0) + (shares or 0)) / views * 100


def _is_known(known: KnownFrom, name: str, day: date) -> bool:
    first = known[name]
    return first is not None and day >= first


@dataclass(frozen=True, slots=True)
class WindowValues:
    """One scope's values over one window."""

    window: Window
    followers: int | None
    followers_change: int | None
    videos_published: int
    views: int | None
    plays: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None

    @property
    def engagement_rate(self) -> float | None:
        """Engagement rate of the window's gains."""
        return engagement_rate(self.views, self.likes, self.comments, self.shares)


def window_values(
    window: Window, at_end: Row | None, before_start: Row | None, known: KnownFrom
) -> WindowValues:
    """A scope's window values from its cumulative rows at the window's end and before its start."""
    end = at_end or _ZERO
    before = before_start or _ZERO

    def gain(name: str) -> int | None:
        if not _is_known(known, name, window.end):
            return None
        return end[_INDEX[name]] - before[_INDEX[name]]

    followers_known = _is_known(known, "followers", window.end)
    return WindowValues(
        window=window,
        followers=end[_INDEX["followers"]] if followers_known else None,
        followers_change=(
            end[_INDEX["followers_gain"]] - before[_INDEX["followers_gain"]]
            if followers_known
            else None
        ),
        videos_published=end[_INDEX["published"]] - before[_INDEX["published"]],
        **{name: gain(name) for name in COUNTERS},
    )


def add_known(left: int | None, right: int | None) -> int | None:
    """The sum of two values, either of which may be unknown (null when both are)."""
    if left is None:
        return right
    if right is None:
        return left
    return left + right


def sum_window_values(window: Window, parts: Sequence[WindowValues]) -> WindowValues:
    """An aggregate's values: the sum of its members' known values (null when none knows)."""
    totals: dict[str, int | None] = {
        f.name: None for f in fields(WindowValues) if f.name not in ("window", "videos_published")
    }
    published = 0
    for part in parts:
        published += part.videos_published
        for name in totals:
            totals[name] = add_known(totals[name], getattr(part, name))
    return WindowValues(window=window, videos_published=published, **totals)


@dataclass(frozen=True, slots=True)
class Change:
    """One metric compared across two windows."""

    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """current − previous (percentage points for rates); null when either is unknown."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> float | None:
        """change / |previous| × 100; null when previous is 0 or unknown."""
        change = self.change
        if change is None or not self.previous:
            return None
        return change / abs(self.previous) * 100


def compare(current: WindowValues, previous: WindowValues, name: str) -> Change:
    """Compare one metric (a WindowValues attribute) across two windows."""
    return Change(getattr(current, name), getattr(previous, name))
