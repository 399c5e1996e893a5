"""Attribution (SPEC §4): from one entity's daily observations to cumulative rows per date.

Pure functions, no I/O. An entity's rows are sparse: a row on each date where something was
observed or attributed; any date's cumulative values are those of the latest row at or before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

COUNTERS = ("views", "plays", "likes", "comments", "shares", "saves")
CUMULATIVE = (*COUNTERS, "followers", "followers_gain", "published")
COLUMNS = ("observations", *CUMULATIVE)  # the value columns of a metric_day row
KNOWN_FROM = (*COUNTERS, "followers")  # counters that can be unknown (null) before a date

Row = tuple[int, ...]  # aligned with COLUMNS
Rows = dict[date, Row]
KnownFrom = dict[str, date | None]  # aligned with KNOWN_FROM

_ZERO_CUMULATIVE = (0,) * len(CUMULATIVE)


@dataclass(frozen=True, slots=True)
class VideoObservation:
    """A video's counters as last observed on `day` (None = not reported)."""

    day: date
    views: int | None
    plays: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None

    def counter(self, name: str) -> int | None:
        """The value of one counter."""
        value: int | None = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class ProfileObservation:
    """An account's follower count as last observed on `day` (None = not reported)."""

    day: date
    followers: int | None


def _step_values(events: Sequence[tuple[date, int]], days: Sequence[date]) -> list[int]:
    """For each day, the value of the latest event at or before it (0 before the first)."""
    values: list[int] = []
    index, current = 0, 0
    for day in days:
        while index < len(events) and events[index][0] <= day:
            current = events[index][1]
            index += 1
        values.append(current)
    return values


def derive_video(
    observations: Sequence[VideoObservation], published: date | None
) -> tuple[Rows, KnownFrom]:
    """Cumulative rows of one video.

    Per counter, the first known value is attributed to the publish date (or to the date of that
    first known value when the publish date is unknown or later); every later known value adds its
    difference on its own date; unknown observations change nothing.
    """
    ordered = sorted(observations, key=lambda o: o.day)
    observed_days = {o.day for o in ordered}
    days: set[date] = set(observed_days)
    if published is not None:
        days.add(published)
    events: dict[str, list[tuple[date, int]]] = {}
    known_from: KnownFrom = dict.fromkeys(KNOWN_FROM)
    for name in COUNTERS:
        known = [(o.day, value) for o in ordered if (value := o.counter(name)) is not None]
        if not known:
            events[name] = []
            continue
        first_day, first_value = known[0]
        anchor = published if published is not None and published <= first_day else first_day
        known_from[name] = anchor
        days.add(anchor)
        events[name] = [(anchor, first_value), *known]
    ordered_days = sorted(days)
    columns = [_step_values(events[name], ordered_days) for name in COUNTERS]
    rows: Rows = {}
    for index, day in enumerate(ordered_days):
        is_published = int(published is not None and day >= published)
        rows[day] = (
            int(day in observed_days),
            *(column[index] for column in columns),
            0,
            0,
            is_published,
        )
    return rows, known_from


def derive_profile(observations: Sequence[ProfileObservation]) -> tuple[Rows, KnownFrom]:
    """Cumulative rows of an account's profile: follower level and change since the first value.

    The first known follower count is a baseline, not growth (SPEC §4 rule 3).
    """
    ordered = sorted(observations, key=lambda o: o.day)
    known = [(o.day, o.followers) for o in ordered if o.followers is not None]
    known_from: KnownFrom = dict.fromkeys(KNOWN_FROM)
    baseline = known[0][1] if known else 0
    if known:
        known_from["followers"] = known[0][0]
    days = [o.day for o in ordered]
    levels = _step_values(known, days)
    rows: Rows = {}
    seen_first = False
    for day, level in zip(days, levels, strict=True):
        seen_first = seen_first or (bool(known) and day >= known[0][0])
        gain = level - baseline if seen_first else 0
        rows[day] = (1, 0, 0, 0, 0, 0, 0, level, gain, 0)
    return rows, known_from


@dataclass(frozen=True, slots=True)
class Segment:
    """From `start` until the next segment, cumulative columns change by `delta`."""

    start: date
    delta: tuple[int, ...]  # aligned with CUMULATIVE


@dataclass(frozen=True, slots=True)
class RowChanges:
    """How a member's change moves an aggregate scope's rows."""

    segments: list[Segment]
    observations: dict[date, int]

    @property
    def empty(self) -> bool:
        """True when nothing changes."""
        return not self.segments and not self.observations


def _cumulative_at(rows: Rows, days: Sequence[date]) -> list[tuple[int, ...]]:
    ordered = sorted(rows)
    values: list[tuple[int, ...]] = []
    index, current = 0, _ZERO_CUMULATIVE
    for day in days:
        while index < len(ordered) and ordered[index] <= day:
            current = rows[ordered[index]][1:]
            index += 1
        values.append(current)
    return values


def row_changes(old: Rows, new: Rows) -> RowChanges:
    """The change of an aggregate scope when one member's rows go from `old` to `new`."""
    breakpoints = sorted(set(old) | set(new))
    before = _cumulative_at(old, breakpoints)
    after = _cumulative_at(new, breakpoints)
    segments: list[Segment] = []
    previous: tuple[int, ...] = _ZERO_CUMULATIVE
    for day, old_values, new_values in zip(breakpoints, before, after, strict=True):
        delta = tuple(n - o for n, o in zip(new_values, old_values, strict=True))
        if delta != previous:
            segments.append(Segment(day, delta))
            previous = delta
    observations = {
        day: new.get(day, (0,))[0] - old.get(day, (0,))[0]
        for day in breakpoints
        if new.get(day, (0,))[0] != old.get(day, (0,))[0]
    }
    return RowChanges(segments, observations)
