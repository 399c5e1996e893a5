"""Daily series: a scope's cumulative rows over a window as per-day arrays, each built when read.

A series query selects a few of the dozen arrays (a chart of views and likes over a year), so
every array is computed on its first read and kept; the GraphQL layer reads only the selected
ones. Rows arrive column by column (`DayRows`), which is how the reader decodes them cheapest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import sub
from typing import Any, Generic, TypeVar

from app.metrics.attribution import COLUMNS, COUNTERS, KnownFrom, Row
from app.metrics.compute import add_known
from app.metrics.windows import Window

T = TypeVar("T")
Columns = tuple[str, ...]  # a subset of COLUMNS, in its order
_INDEX = {name: index for index, name in enumerate(COLUMNS)}
_OBSERVATIONS = _INDEX["observations"]
# The row columns each array is built from.
_ARRAY_COLUMNS: dict[str, Columns] = {
    "dates": (),
    "window": (),
    "__typename": (),
    "observed": ("observations",),
    "followers": ("followers",),
    "followers_change": ("followers_gain",),
    "videos_published": ("published",),
    **{name: (name,) for name in COUNTERS},
    "engagement_rate": ("views", "likes", "comments", "shares"),
}


def with_column(columns: Columns, column: str) -> Columns:
    """`columns` and `column`, in COLUMNS order."""
    return tuple(c for c in COLUMNS if c in columns or c == column)


def columns_for(arrays: Iterable[str] | None) -> Columns:
    """The columns the named series arrays are built from (every column for None or an
    unknown name)."""
    if arrays is None:
        return COLUMNS
    needed: set[str] = set()
    for name in arrays:
        found = _ARRAY_COLUMNS.get(name)
        if found is None:
            return COLUMNS
        needed.update(found)
    return tuple(column for column in COLUMNS if column in needed)


@dataclass(frozen=True, slots=True)
class DayRows:
    """One scope's rows dated inside a window, column by column.

    `offsets[i]` is row i's day as days after the window's start (ascending, one row a day);
    `columns[c][i]` its value of `COLUMNS[c]`; None for a column that was not read, and
    `unread` names those columns.
    """

    offsets: Sequence[int]
    columns: Sequence[Sequence[int] | None]
    unread: frozenset[str] = frozenset()

    @classmethod
    def empty(cls) -> DayRows:
        """No row in the window."""
        return cls((), ((),) * len(COLUMNS))

    def column(self, index: int) -> Sequence[int]:
        """The values of `COLUMNS[index]` (it must have been read)."""
        values = self.columns[index]
        if values is None:
            raise LookupError(f"the column {COLUMNS[index]} was not read")
        return values

    def observed_offsets(self) -> list[int]:
        """The offsets of the rows that hold at least one observation."""
        observations = self.column(_OBSERVATIONS)
        return [off for off, n in zip(self.offsets, observations, strict=True) if n > 0]


class _Array(Generic[T]):
    """A series array, computed by its owner on first read and kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, series: SeriesValues, owner: type | None = None) -> list[T]:
        cache = series.computed
        found = cache.get(self.name)
        if found is None:
            found = cache[self.name] = series.compute(self.name)
        return found


class SeriesValues:
    """A scope's daily values over a window, as parallel arrays aligned with `dates`."""

    __slots__ = ("computed", "dates")

    observed = _Array[bool]()
    followers = _Array[int | None]()
    followers_change = _Array[int | None]()
    videos_published = _Array[int]()
    views = _Array[int | None]()
    plays = _Array[int | None]()
    likes = _Array[int | None]()
    comments = _Array[int | None]()
    shares = _Array[int | None]()
    saves = _Array[int | None]()
    engagement_rate = _Array[float | None]()

    def __init__(self, dates: list[date]) -> None:
        self.dates = dates
        self.computed: dict[str, list[Any]] = {}

    def compute(self, name: str) -> list[Any]:
        """Build the array `name` (called once per array)."""
        if name == "engagement_rate":
            # `compute.engagement_rate` inlined (the same expression, so the same floats): it
            # runs for every day of every series of a page.
            return [
                None if v is None or v <= 0 else ((lk or 0) + (c or 0) + (s or 0)) / v * 100
                for v, lk, c, s in zip(
                    self.views, self.likes, self.comments, self.shares, strict=True
                )
            ]
        return self.compute_count(name)

    def compute_count(self, name: str) -> list[Any]:
        """Build one of the arrays other than the engagement rate."""
        raise NotImplementedError

    @property
    def unread(self) -> frozenset[str]:
        """The row columns that were not read: the arrays built from them cannot be asked."""
        raise NotImplementedError


# Per count array: whether it is the carried level or the daily gain, its column, and the
# counter whose first-known date nulls the days before it (None: never null).
_COUNTS: dict[str, tuple[bool, int, str | None]] = {
    "followers": (False, _INDEX["followers"], "followers"),
    "followers_change": (True, _INDEX["followers_gain"], "followers"),
    "videos_published": (True, _INDEX["published"], None),
    **{name: (True, _INDEX[name], name) for name in COUNTERS},
}


class _ScopeSeries(SeriesValues):
    """One scope's series, from its rows in the window and its row before the window."""

    __slots__ = ("_base", "_dense", "_known", "_positions", "_rows", "_window")

    def __init__(
        self, window: Window, base: Row, rows: DayRows, known: KnownFrom, dates: list[date]
    ) -> None:
        super().__init__(dates)
        self._window, self._base, self._rows, self._known = window, base, rows, known
        # A row on every day: row i is day i, and nothing needs carrying forward.
        self._dense = len(rows.offsets) == len(dates)
        self._positions: list[int] | None = None

    @property
    def unread(self) -> frozenset[str]:
        return self._rows.unread

    def _row_positions(self) -> list[int]:
        """Per day, 1 + the index of the latest row at or before it (0: the row before the
        window)."""
        if self._positions is None:
            positions = [0] * len(self.dates)
            for position, offset in enumerate(self._rows.offsets, 1):
                positions[offset] = position
            last = 0
            for day, position in enumerate(positions):
                if position:
                    last = position
                else:
                    positions[day] = last
            self._positions = positions
        return self._positions

    def _observed(self) -> list[bool]:
        rows = self._rows
        if self._dense:
            return [n > 0 for n in rows.column(_OBSERVATIONS)]
        observed = [False] * len(self.dates)
        for offset in rows.observed_offsets():
            observed[offset] = True
        return observed

    def compute_count(self, name: str) -> list[Any]:
        if name == "observed":
            return self._observed()
        # Every count array whose column was read is built at once: those are the selected
        # ones (the reader read their columns only), and one loop costs less than a call each.
        computed = self.computed
        columns = self._rows.columns
        base, known, start = self._base, self._known, self._window.start
        positions = None if self._dense else self._row_positions()
        for array, (is_gain, index, known_as) in _COUNTS.items():
            column: Sequence[int] | None = columns[index]
            if column is None or array in computed:
                continue
            if positions is not None:  # per day, the latest value at or before it
                column = list(map([base[index], *column].__getitem__, positions))
            if is_gain:  # each day's value minus the day before's (the row before the window's)
                values: list[Any] = list(map(sub, column, chain((base[index],), column)))
            else:
                values = list(column)
            first = known[known_as] if known_as is not None else start
            size = len(values)
            head = size if first is None else max(0, min(size, (first - start).days))
            if head:
                values[:head] = [None] * head
            computed[array] = values
        found = computed.get(name)
        if found is None:
            raise LookupError(f"the column of {name} was not read")
        return found


class _SummedSeries(SeriesValues):
    """An aggregate's series: per day, the sum of its members' known values."""

    __slots__ = ("_parts",)

    def __init__(self, dates: list[date], parts: Sequence[SeriesValues]) -> None:
        super().__init__(dates)
        self._parts = parts

    @property
    def unread(self) -> frozenset[str]:
        return frozenset().union(*(part.unread for part in self._parts))

    def compute_count(self, name: str) -> list[Any]:
        size = len(self.dates)
        arrays = [getattr(part, name) for part in self._parts]
        if name == "observed":
            return [any(day) for day in zip(*arrays, strict=True)] if arrays else [False] * size
        if name == "videos_published":
            return [sum(day) for day in zip(*arrays, strict=True)] if arrays else [0] * size
        total: list[int | None] = [None] * size
        for array in arrays:
            total = [add_known(a, b) for a, b in zip(total, array, strict=True)]
        return total


_ZERO: Row = (0,) * len(COLUMNS)


def series_values(
    window: Window,
    before_start: Row | None,
    rows: DayRows,
    known: KnownFrom,
    dates: list[date] | None = None,
) -> SeriesValues:
    """Daily gains (and the follower level) of one scope over a window.

    `dates` may pass `window.dates()` computed once for many scopes (it is not modified).
    """
    dates = dates if dates is not None else window.dates()
    return _ScopeSeries(window, before_start or _ZERO, rows, known, dates)


def sum_series(window: Window, parts: Sequence[SeriesValues]) -> SeriesValues:
    """An aggregate's series: per day, the sum of members' known values."""
    return _SummedSeries(window.dates(), parts)
