"""Per-request loaders of metric rows, and the windowed values built from them.

Every load made while a page of objects resolves lands in one batch, so a page of 10 or 200
accounts with metrics, series and comparisons costs the same few statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Sequence
from datetime import date
from functools import partial
from typing import Any

from strawberry.dataloader import DataLoader

from app.graphql.metric_page import PageKey, PageRows, read_pages
from app.graphql.types.windows import resolve_window
from app.metrics import reader
from app.metrics.attribution import COLUMNS, KnownFrom, Row
from app.metrics.compute import WindowValues, sum_window_values, window_values
from app.metrics.reader import PointKey, ScopeKey
from app.metrics.series import Columns, DayRows, SeriesValues, series_values, sum_series
from app.metrics.windows import Window
from app.models import ScopeKind

RangeKey = tuple[ScopeKind, int, date, date, Columns]
_NO_ROWS = DayRows.empty()


async def _points(organization_id: int, keys: list[PointKey]) -> list[Row | None]:
    found = await reader.load_points(organization_id, keys)
    return [found.get(key) for key in keys]


async def _known(organization_id: int, keys: list[ScopeKey]) -> list[KnownFrom]:
    found = await reader.load_known(organization_id, keys)
    return [found[key] for key in keys]


ObservedKey = tuple[ScopeKind, int, date, date]


def _by_window(keys: Sequence[ObservedKey]) -> dict[tuple[ScopeKind, date, date], list[int]]:
    groups: dict[tuple[ScopeKind, date, date], list[int]] = defaultdict(list)
    for kind, scope_id, start, end in keys:
        groups[(kind, start, end)].append(scope_id)
    return groups


async def _observed(organization_id: int, keys: list[ObservedKey]) -> list[set[date]]:
    found: dict[ObservedKey, set[date]] = {}
    for (kind, start, end), ids in _by_window(keys).items():
        days = await reader.load_observed_days(organization_id, kind, ids, start, end)
        for scope_id in ids:
            found[(kind, scope_id, start, end)] = days.get(scope_id, set())
    return [found[key] for key in keys]


async def _ranges(organization_id: int, keys: list[RangeKey]) -> list[DayRows]:
    groups: dict[tuple[ScopeKind, date, date, Columns], list[int]] = defaultdict(list)
    for kind, scope_id, start, end, columns in keys:
        groups[(kind, start, end, columns)].append(scope_id)
    found: dict[RangeKey, DayRows] = {}
    for (kind, start, end, columns), ids in groups.items():
        rows = await reader.load_ranges(organization_id, kind, ids, start, end, columns)
        for scope_id in ids:
            found[(kind, scope_id, start, end, columns)] = rows.get(scope_id, _NO_ROWS)
    return [found[key] for key in keys]


def forget(loader: DataLoader[Any, Any]) -> None:
    """Drop a loader's cached values and its last batch (whose futures hold results)."""
    loader.clear_all()
    if loader.batch is not None and loader.batch.dispatched:
        loader.batch = None


class MetricLoaders:
    """Batched access to the metric rows of one request's organization.

    Methods register every load they need at once and return an awaitable, so that all the
    loads of a page land in the same batch without a task per object. Every read names the
    organization (the tenant's: a request never reads another's rows).
    """

    def __init__(self, organization_id: int) -> None:
        self.points = DataLoader[PointKey, Row | None](load_fn=partial(_points, organization_id))
        self.known = DataLoader[ScopeKey, KnownFrom](load_fn=partial(_known, organization_id))
        self.observed = DataLoader[ObservedKey, set[date]](
            load_fn=partial(_observed, organization_id)
        )
        self.ranges = DataLoader[RangeKey, DayRows](load_fn=partial(_ranges, organization_id))
        # Whole pages of connections: one key per connection, not one per value.
        self.pages = DataLoader[PageKey, PageRows](
            load_fn=partial(read_pages, organization_id), cache=False
        )
        # Values computed ahead by a connection for its nodes: (field, scopes, window) -> value.
        self.ready: dict[tuple[str, tuple[ScopeKey, ...], Window], Any] = {}
        self._dates: dict[Window, list[date]] = {}
        # Each field node's converted `window` argument is one object for the whole request
        # (the executor converts arguments once per node): resolve it once, not once a node.
        self._windows: dict[int, tuple[Any, Window]] = {}

    def window_of(self, value: Any) -> Window:
        """The window a `WindowInput` names (`resolve_window`), resolved once per request."""
        found = self._windows.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        window = resolve_window(value)
        self._windows[id(value)] = (value, window)  # keeps `value` alive: its id stays unique
        return window

    def release(self) -> None:
        """Drop the request's rows and computed values (see `Loaders.release`)."""
        self.ready.clear()
        self._dates.clear()
        self._windows.clear()
        for loader in (self.points, self.known, self.observed, self.ranges, self.pages):
            forget(loader)

    def windows(self, scopes: Sequence[ScopeKey], window: Window) -> Awaitable[WindowValues]:
        """The summed values of the scopes (one account, a creator's accounts) over a window."""
        pending = [
            (
                self.points.load((kind, scope_id, window.end)),
                self.points.load((kind, scope_id, window.before_start)),
                self.known.load((kind, scope_id)),
            )
            for kind, scope_id in scopes
        ]

        async def finish() -> WindowValues:
            parts = [window_values(window, await e, await b, await k) for e, b, k in pending]
            return parts[0] if len(parts) == 1 else sum_window_values(window, parts)

        return finish()

    def coverage(self, scopes: Sequence[ScopeKey], window: Window) -> Awaitable[float]:
        """Fraction of the window's days with an observation in any of the scopes."""
        pending = [self.observed.load((k, i, window.start, window.end)) for k, i in scopes]

        async def finish() -> float:
            days: set[date] = set()
            for observed in pending:
                days |= await observed
            return len(days) / window.days

        return finish()

    def series(
        self, scopes: Sequence[ScopeKey], window: Window, columns: Columns = COLUMNS
    ) -> Awaitable[SeriesValues]:
        """The (summed) daily series of the scopes over a window, read for `columns` only."""
        pending = [
            (
                self.points.load((kind, scope_id, window.before_start)),
                self.ranges.load((kind, scope_id, window.start, window.end, columns)),
                self.known.load((kind, scope_id)),
            )
            for kind, scope_id in scopes
        ]

        dates = self._dates.get(window)
        if dates is None:
            dates = self._dates[window] = window.dates()

        async def finish() -> SeriesValues:
            parts = [series_values(window, await b, await r, await k, dates) for b, r, k in pending]
            return parts[0] if len(parts) == 1 else sum_series(window, parts)

        return finish()
