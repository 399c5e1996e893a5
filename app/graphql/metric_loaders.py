"""Per-request loaders of metric rows, and the windowed values built from them.

Every load made while a page of objects resolves lands in one batch, so a page of 10 or 200
accounts with metrics, series and comparisons costs the same few statements.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from strawberry.dataloader import DataLoader

from app.metrics import reader
from app.metrics.attribution import KnownFrom, Row
from app.metrics.compute import (
    SeriesValues,
    WindowValues,
    series_values,
    sum_series,
    sum_window_values,
    window_values,
)
from app.metrics.reader import PointKey, ScopeKey
from app.metrics.windows import Window
from app.models import ScopeKind

RangeKey = tuple[ScopeKind, int, date, date]


async def _points(keys: list[PointKey]) -> list[Row | None]:
    found = await reader.load_points(keys)
    return [found.get(key) for key in keys]


async def _known(keys: list[ScopeKey]) -> list[KnownFrom]:
    found = await reader.load_known(keys)
    return [found[key] for key in keys]


def _by_window(keys: Sequence[RangeKey]) -> dict[tuple[ScopeKind, date, date], list[int]]:
    groups: dict[tuple[ScopeKind, date, date], list[int]] = defaultdict(list)
    for kind, scope_id, start, end in keys:
        groups[(kind, start, end)].append(scope_id)
    return groups


async def _observed(keys: list[RangeKey]) -> list[set[date]]:
    found: dict[RangeKey, set[date]] = {}
    for (kind, start, end), ids in _by_window(keys).items():
        days = await reader.load_observed_days(kind, ids, start, end)
        for scope_id in ids:
            found[(kind, scope_id, start, end)] = days.get(scope_id, set())
    return [found[key] for key in keys]


async def _ranges(keys: list[RangeKey]) -> list[list[tuple[date, Row]]]:
    found: dict[RangeKey, list[tuple[date, Row]]] = {}
    for (kind, start, end), ids in _by_window(keys).items():
        rows = await reader.load_ranges(kind, ids, start, end)
        for scope_id in ids:
            found[(kind, scope_id, start, end)] = rows.get(scope_id, [])
    return [found[key] for key in keys]


class MetricLoaders:
    """Batched access to metric rows for one request."""

    def __init__(self) -> None:
        self.points = DataLoader[PointKey, Row | None](load_fn=_points)
        self.known = DataLoader[ScopeKey, KnownFrom](load_fn=_known)
        self.observed = DataLoader[RangeKey, set[date]](load_fn=_observed)
        self.ranges = DataLoader[RangeKey, list[tuple[date, Row]]](load_fn=_ranges)

    async def window(self, scope: ScopeKey, window: Window) -> WindowValues:
        """One scope's values over a window."""
        kind, scope_id = scope
        at_end, before, known = await asyncio.gather(
            self.points.load((kind, scope_id, window.end)),
            self.points.load((kind, scope_id, window.before_start)),
            self.known.load(scope),
        )
        return window_values(window, at_end, before, known)

    async def windows(self, scopes: Sequence[ScopeKey], window: Window) -> WindowValues:
        """The summed values of several scopes (a creator's accounts) over a window."""
        parts = await asyncio.gather(*(self.window(scope, window) for scope in scopes))
        if len(parts) == 1:
            return parts[0]
        return sum_window_values(window, parts)

    async def coverage(self, scopes: Sequence[ScopeKey], window: Window) -> float:
        """Fraction of the window's days with an observation in any of the scopes."""
        observed = await asyncio.gather(
            *(self.observed.load((k, i, window.start, window.end)) for k, i in scopes)
        )
        days: set[date] = set().union(*observed) if observed else set()
        return len(days) / window.days

    async def series(self, scopes: Sequence[ScopeKey], window: Window) -> SeriesValues:
        """The (summed) daily series of several scopes over a window."""

        async def one(scope: ScopeKey) -> SeriesValues:
            kind, scope_id = scope
            before, rows, known = await asyncio.gather(
                self.points.load((kind, scope_id, window.before_start)),
                self.ranges.load((kind, scope_id, window.start, window.end)),
                self.known.load(scope),
            )
            return series_values(window, before, rows, known)

        parts = await asyncio.gather(*(one(scope) for scope in scopes))
        if len(parts) == 1:
            return parts[0]
        return sum_series(window, parts)
