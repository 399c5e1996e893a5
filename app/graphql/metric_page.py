"""A page's metric fields read in one batch per kind of row, and built without a future each.

A connection knows every node's scopes and every (field, window) selected under its nodes before
any node resolves. Reading the rows they need directly, then computing each value in a plain
loop, costs the same statements as the per-request loaders but none of their per-key futures
and coroutines (≈ 1,300 for a dashboard page of 100 accounts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.graphql.types.metrics import (
    EngagementComparison,
    EngagementMetrics,
    EngagementSeries,
    VideoComparison,
    VideoMetrics,
    VideoSeries,
)
from app.graphql.types.windows import DateWindow
from app.metrics import reader
from app.metrics.attribution import COLUMNS, KnownFrom, Row
from app.metrics.compute import WindowValues, sum_window_values, window_values
from app.metrics.reader import PointKey, ScopeKey
from app.metrics.series import (
    Columns,
    DayRows,
    SeriesValues,
    series_values,
    sum_series,
    with_column,
)
from app.metrics.windows import Window
from app.models import ScopeKind

Scopes = tuple[ScopeKey, ...]
Want = tuple[str, Window]  # ("metrics" | "series" | "comparison", window)
SeriesColumns = tuple[tuple[Window, Columns], ...]  # per series window, the columns to read
RangeKey = tuple[ScopeKind, Window]
_NO_ROWS = DayRows.empty()


def _points_needed(want: str, window: Window) -> tuple[date, ...]:
    if want == "metrics":
        return (window.end, window.before_start)
    if want == "comparison":
        return (window.end, window.before_start, window.previous().before_start)
    return (window.before_start,)


@dataclass(slots=True)
class PageRows:
    """Every row the page's selected metric fields need, keyed as the reader returns them."""

    points: dict[PointKey, Row | None]
    known: dict[ScopeKey, KnownFrom]
    # Per (kind, window): each scope's rows dated inside the window (series), and the days with
    # an observation (coverage; taken from those rows when the series was read too).
    ranges: dict[RangeKey, dict[int, DayRows]]
    observed: dict[RangeKey, dict[int, set[date]]]


async def read_page(
    organization_id: int,
    scopes: Sequence[ScopeKey],
    wants: Sequence[Want],
    series_columns: SeriesColumns = (),
) -> PageRows:
    """Read what `wants` need for every scope of the organization: a fixed number of statements
    for any page.

    A series window reads the columns `series_columns` gives it (all when absent).
    """
    points = [
        (kind, scope_id, day)
        for want, window in wants
        for day in _points_needed(want, window)
        for kind, scope_id in scopes
    ]
    by_kind: dict[ScopeKind, list[int]] = defaultdict(list)
    for kind, scope_id in dict.fromkeys(scopes):
        by_kind[kind].append(scope_id)
    rows = PageRows(
        await reader.load_points(organization_id, points),
        await reader.load_known(organization_id, scopes),
        {},
        {},
    )
    series_windows = {window for want, window in wants if want == "series"}
    metrics_windows = {window for want, window in wants if want == "metrics"}
    chosen = dict(series_columns)
    for window in series_windows:
        columns = chosen.get(window, COLUMNS)
        if window in metrics_windows:  # coverage comes from the same rows
            columns = with_column(columns, "observations")
        for kind, ids in by_kind.items():
            rows.ranges[(kind, window)] = await reader.load_ranges(
                organization_id, kind, ids, window.start, window.end, columns
            )
    for window in metrics_windows:
        for kind, ids in by_kind.items():
            if window in series_windows:
                rows.observed[(kind, window)] = _observed_in(rows.ranges[(kind, window)], window)
            else:
                rows.observed[(kind, window)] = await reader.load_observed_days(
                    organization_id, kind, ids, window.start, window.end
                )
    return rows


PageKey = tuple[tuple[ScopeKey, ...], tuple[Want, ...], SeriesColumns]


async def read_pages(organization_id: int, keys: list[PageKey]) -> list[PageRows]:
    """Loader batch: the pages resolving together (sibling connections) share their reads."""
    groups: dict[tuple[tuple[Want, ...], SeriesColumns], list[ScopeKey]] = defaultdict(list)
    for scopes, wants, columns in keys:
        groups[(wants, columns)].extend(scopes)
    pages = {
        group: await read_page(organization_id, list(dict.fromkeys(s)), *group)
        for group, s in groups.items()
    }
    return [pages[(wants, columns)] for _, wants, columns in keys]


def _observed_in(ranges: dict[int, DayRows], window: Window) -> dict[int, set[date]]:
    dates = window.dates()
    return {sid: {dates[i] for i in found.observed_offsets()} for sid, found in ranges.items()}


def _window(rows: PageRows, scopes: Scopes, window: Window) -> WindowValues:
    parts = [
        window_values(
            window,
            rows.points[(kind, sid, window.end)],
            rows.points[(kind, sid, window.before_start)],
            rows.known[(kind, sid)],
        )
        for kind, sid in scopes
    ]
    return parts[0] if len(parts) == 1 else sum_window_values(window, parts)


def _coverage(rows: PageRows, scopes: Scopes, window: Window) -> float:
    if len(scopes) == 1:
        kind, sid = scopes[0]
        return len(rows.observed[(kind, window)].get(sid, ())) / window.days
    days: set[date] = set()
    for kind, sid in scopes:
        days |= rows.observed[(kind, window)].get(sid, set())
    return len(days) / window.days


def _series(rows: PageRows, scopes: Scopes, window: Window, dates: list[date]) -> SeriesValues:
    parts = [
        series_values(
            window,
            rows.points[(kind, sid, window.before_start)],
            rows.ranges[(kind, window)].get(sid, _NO_ROWS),
            rows.known[(kind, sid)],
            dates,
        )
        for kind, sid in scopes
    ]
    return parts[0] if len(parts) == 1 else sum_series(window, parts)


class PageBuilder:
    """Builds the GraphQL values of one page's metric fields from its rows."""

    def __init__(self, rows: PageRows, video: bool) -> None:
        self._rows = rows
        self._video = video
        self._dates: dict[Window, list[date]] = {}
        self._windows: dict[Window, DateWindow] = {}
        self._values: dict[tuple[Scopes, Window], WindowValues] = {}

    def _window_values(self, scopes: Scopes, window: Window) -> WindowValues:
        """Window values, computed once for a field's metrics and its comparison alike."""
        key = (scopes, window)
        values = self._values.get(key)
        if values is None:
            values = self._values[key] = _window(self._rows, scopes, window)
        return values

    def build(self, want: str, scopes: Scopes, window: Window) -> Any:
        """The value of `want` (metrics, series, comparison) for the summed scopes."""
        rows = self._rows
        if want == "metrics":
            values = self._window_values(scopes, window)
            coverage = _coverage(rows, scopes, window)
            if self._video:
                return VideoMetrics.of(values, coverage)
            return EngagementMetrics.of(values, coverage)
        if want == "comparison":
            now = self._window_values(scopes, window)
            before = self._window_values(scopes, window.previous())
            if self._video:
                return VideoComparison.of(now, before)
            return EngagementComparison.of(now, before)
        dates = self._dates.get(window)
        if dates is None:
            dates = self._dates[window] = window.dates()
        shown = self._windows.get(window)
        if shown is None:
            shown = self._windows[window] = DateWindow.of(window)
        series = _series(rows, scopes, window, dates)
        if self._video:
            return VideoSeries.of(shown, series)
        return EngagementSeries.of(shown, series)
