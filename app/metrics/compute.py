"""From cumulative rows to the numbers clients see: window values, daily series, comparisons.

Pure functions. A counter is null on a date before its scope's first-known date; a window's value
is null only when every date of it is null; aggregates sum their members' known values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from operator import sub

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


def _add(left: int | None, right: int | None) -> int | None:
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
            totals[name] = _add(totals[name], getattr(part, name))
    return WindowValues(window=window, videos_published=published, **totals)


@dataclass(slots=True)
class SeriesValues:
    """A scope's daily values over a window, as parallel arrays aligned with `dates`."""

    dates: list[date]
    observed: list[bool]
    followers: list[int | None]
    followers_change: list[int | None]
    videos_published: list[int]
    views: list[int | None]
    plays: list[int | None]
    likes: list[int | None]
    comments: list[int | None]
    shares: list[int | None]
    saves: list[int | None]

    @property
    def engagement_rate(self) -> list[float | None]:
        """Each day's engagement rate of that day's gains."""
        # `engagement_rate` inlined (the same expression, so the same floats): it runs for every
        # day of every series of a page.
        return [
            None if v is None or v <= 0 else ((lk or 0) + (c or 0) + (s or 0)) / v * 100
            for v, lk, c, s in zip(self.views, self.likes, self.comments, self.shares, strict=True)
        ]


def series_values(
    window: Window,
    before_start: Row | None,
    rows: Sequence[tuple[date, Row]],
    known: KnownFrom,
    dates: list[date] | None = None,
) -> SeriesValues:
    """Daily gains (and the follower level) of one scope over a window.

    `dates` may pass `window.dates()` computed once for many scopes (it is not modified).
    """
    dates = dates if dates is not None else window.dates()
    by_day = dict(rows)
    base = before_start or _ZERO
    previous = base
    cumulative: list[Row] = []
    observed: list[bool] = []
    for day in dates:
        row = by_day.get(day)
        if row is None:
            observed.append(False)
        else:
            observed.append(row[0] > 0)
            previous = row
        cumulative.append(previous)
    # Column by column: each column's values over the window, and the same one day earlier.
    columns = list(zip(*cumulative, strict=True)) if cumulative else [()] * len(base)

    def first_known(name: str) -> int:
        first = known[name]
        if first is None:
            return len(dates)
        return max(0, min(len(dates), (first - window.start).days))

    def gains(index: int, start: int) -> list[int | None]:
        column = columns[index]
        earlier = (base[index], *column[:-1])
        head: list[int | None] = [None] * start
        return head + list(map(sub, column[start:], earlier[start:]))

    followers_start = first_known("followers")
    published = columns[_INDEX["published"]]
    return SeriesValues(
        dates=dates,
        observed=observed,
        followers=[None] * followers_start + list(columns[_INDEX["followers"]][followers_start:]),
        followers_change=gains(_INDEX["followers_gain"], followers_start),
        videos_published=list(map(sub, published, (base[_INDEX["published"]], *published[:-1]))),
        **{name: gains(_INDEX[name], first_known(name)) for name in COUNTERS},
    )


def sum_series(window: Window, parts: Sequence[SeriesValues]) -> SeriesValues:
    """An aggregate's series: per day, the sum of members' known values."""
    dates = window.dates()
    size = len(dates)

    def nothing() -> list[int | None]:
        return [None] * size

    total = SeriesValues(
        dates=dates,
        observed=[False] * size,
        followers=nothing(),
        followers_change=nothing(),
        videos_published=[0] * size,
        views=nothing(),
        plays=nothing(),
        likes=nothing(),
        comments=nothing(),
        shares=nothing(),
        saves=nothing(),
    )
    for part in parts:
        total.observed = [a or b for a, b in zip(total.observed, part.observed, strict=True)]
        total.videos_published = [
            a + b for a, b in zip(total.videos_published, part.videos_published, strict=True)
        ]
        for name in ("followers", "followers_change", *COUNTERS):
            mine: list[int | None] = getattr(total, name)
            theirs: list[int | None] = getattr(part, name)
            setattr(total, name, [_add(a, b) for a, b in zip(mine, theirs, strict=True)])
    return total


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
