"""The `metrics`, `series` and `comparison` resolvers shared by every scope's type.

Connections look ahead at the metric fields selected under their nodes and prefetch them for the
whole page at once (`prefetch`); a node's resolver then returns its value synchronously. Without
a prefetch (a single object, an unusual query) the resolver returns an awaitable that goes
through the same batched loaders.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from app.graphql.context import Info
from app.graphql.errors import ApiError
from app.graphql.metric_loaders import MetricLoaders
from app.graphql.metric_page import PageBuilder
from app.graphql.types.metrics import (
    EngagementComparison,
    EngagementMetrics,
    EngagementSeries,
    VideoComparison,
    VideoMetrics,
    VideoSeries,
)
from app.graphql.types.windows import (
    DateRangeInput,
    DateWindow,
    WindowInput,
    WindowPreset,
    resolve_window,
)
from app.metrics.reader import ScopeKey
from app.metrics.series import Columns, columns_for
from app.metrics.windows import Window

WindowArg = Annotated[
    WindowInput,
    strawberry.argument(description="A preset (D7, D30, D90) or a custom UTC date range."),
]

METRICS_DESCRIPTION = "Values over a window: levels at its end and gains within it."
SERIES_DESCRIPTION = "Daily values over a window as parallel arrays (for charts)."
COMPARISON_DESCRIPTION = "The window against the previous window of the same length."

WANTS = ("metrics", "series", "comparison")
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
Scopes = tuple[ScopeKey, ...]


# --- building the values -------------------------------------------------------------------------


# Builders register their loads when called and return an awaitable that finishes the value,
# so that many builders called in a row share one batch.


async def _in_turn(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Await two coroutines in turn, without a task each.

    When the first fails or is cancelled (a sibling field's error cancels the others), the
    second is closed: left unawaited it would be reported as "never awaited" when collected.
    """
    try:
        one = await first
    except BaseException:
        if inspect.iscoroutine(second):
            second.close()
        raise
    return one, await second


def _metrics(
    loaders: MetricLoaders, scopes: Scopes, window: Window, video: bool
) -> Awaitable[EngagementMetrics | VideoMetrics]:
    values, coverage = loaders.windows(scopes, window), loaders.coverage(scopes, window)

    async def finish() -> EngagementMetrics | VideoMetrics:
        window_values, share = await _in_turn(values, coverage)
        if video:
            return VideoMetrics.of(window_values, share)
        return EngagementMetrics.of(window_values, share)

    return finish()


def _series(
    loaders: MetricLoaders, scopes: Scopes, window: Window, video: bool, columns: Columns
) -> Awaitable[EngagementSeries | VideoSeries]:
    values = loaders.series(scopes, window, columns)

    async def finish() -> EngagementSeries | VideoSeries:
        if video:
            return VideoSeries.of(DateWindow.of(window), await values)
        return EngagementSeries.of(DateWindow.of(window), await values)

    return finish()


def _comparison(
    loaders: MetricLoaders, scopes: Scopes, window: Window, video: bool
) -> Awaitable[EngagementComparison | VideoComparison]:
    current = loaders.windows(scopes, window)
    previous = loaders.windows(scopes, window.previous())

    async def finish() -> EngagementComparison | VideoComparison:
        now, before = await _in_turn(current, previous)
        if video:
            return VideoComparison.of(now, before)
        return EngagementComparison.of(now, before)

    return finish()


_BUILDERS: dict[str, Any] = {"metrics": _metrics, "comparison": _comparison}


def _resolve(
    info: Info, want: str, scopes: Sequence[ScopeKey], window: WindowInput, video: bool
) -> Any:
    loaders = info.context.loaders.metrics
    resolved = loaders.window_of(window)
    key = (want, tuple(scopes), resolved)
    ready = loaders.ready.get(key)
    if ready is not None and (want != "series" or _covers(ready, info)):
        return ready
    if want == "series":
        return _series(loaders, tuple(scopes), resolved, video, columns_for(_selected(info)))
    return _BUILDERS[want](loaders, tuple(scopes), resolved, video)


def _covers(series: Any, info: Info) -> bool:
    """Whether a series computed ahead (by a connection's look-ahead, for the arrays selected
    there) read every column this selection of it needs."""
    unread: frozenset[str] = series.values.unread
    return not unread or unread.isdisjoint(columns_for(_selected(info)))


def _selected(info: Info) -> list[str] | None:
    """The series attributes selected on the field being resolved (None: not known)."""
    names = getattr(info, "selected_names", None)
    if names is not None:  # a fast resolver's info (see `execution.fast_resolver`)
        found: list[str] | None = names()
        return None if found is None else [_snake(name) for name in found]
    return series_arrays(s for field in info.selected_fields for s in field.selections)


def engagement_metrics(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementMetrics | Awaitable[EngagementMetrics]:
    """Metrics of the summed scopes (now if prefetched, else an awaitable)."""
    result: Any = _resolve(info, "metrics", scopes, window, video=False)
    return result  # type: ignore[no-any-return]


def engagement_series(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementSeries | Awaitable[EngagementSeries]:
    """Daily series of the summed scopes."""
    result: Any = _resolve(info, "series", scopes, window, video=False)
    return result  # type: ignore[no-any-return]


def engagement_comparison(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementComparison | Awaitable[EngagementComparison]:
    """The window against the previous one, for the summed scopes."""
    result: Any = _resolve(info, "comparison", scopes, window, video=False)
    return result  # type: ignore[no-any-return]


def video_metrics(
    info: Info, scope: ScopeKey, window: WindowInput
) -> VideoMetrics | Awaitable[VideoMetrics]:
    """Metrics of one video."""
    result: Any = _resolve(info, "metrics", [scope], window, video=True)
    return result  # type: ignore[no-any-return]


def video_series(
    info: Info, scope: ScopeKey, window: WindowInput
) -> VideoSeries | Awaitable[VideoSeries]:
    """Daily series of one video."""
    result: Any = _resolve(info, "series", [scope], window, video=True)
    return result  # type: ignore[no-any-return]


def video_comparison(
    info: Info, scope: ScopeKey, window: WindowInput
) -> VideoComparison | Awaitable[VideoComparison]:
    """One video's window against the previous one."""
    result: Any = _resolve(info, "comparison", [scope], window, video=True)
    return result  # type: ignore[no-any-return]


async def awaited(value: T | Awaitable[T]) -> T:
    """A value that may still have to be awaited."""
    if isinstance(value, Awaitable):
        return await value
    return value


# --- looking ahead ------------------------------------------------------------------------------


def _parse_window(raw: object) -> Window | None:
    """The window of a literal or variable argument value; None when it is not a valid one."""
    if not isinstance(raw, dict):
        return None
    preset, span = raw.get("preset"), raw.get("range")
    try:
        if preset is not None and span is None:
            name = preset.name if isinstance(preset, WindowPreset) else str(preset)
            return resolve_window(WindowInput(preset=WindowPreset[name]))
        if isinstance(span, dict) and preset is None:
            start, end = span.get("start"), span.get("end")
            start = start if isinstance(start, date) else date.fromisoformat(str(start))
            end = end if isinstance(end, date) else date.fromisoformat(str(end))
            return resolve_window(WindowInput(range=DateRangeInput(start=start, end=end)))
    except (KeyError, ValueError, ApiError):
        return None
    return None


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def series_arrays(selections: Iterable[Selection]) -> list[str]:
    """The series attributes a selection on a series type reads (Python names)."""
    return [_snake(field.name) for field in _fields(selections)]


@dataclass(frozen=True, slots=True)
class Requests:
    """What a connection's nodes select: (metric field, window) pairs, and per series window
    the row columns its selected arrays need."""

    wants: tuple[tuple[str, Window], ...]
    series_columns: tuple[tuple[Window, Columns], ...]


def requested_windows(info: Info) -> Requests:
    """The (metric field, window) pairs selected under this connection's nodes."""
    found: dict[tuple[str, Window], None] = {}
    arrays: dict[Window, set[str]] = defaultdict(set)
    for connection in _fields(info.selected_fields):
        node_sets = []
        for field in _fields(connection.selections):
            if field.name == "nodes":
                node_sets.append(field.selections)
            elif field.name == "edges":
                node_sets += [f.selections for f in _fields(field.selections) if f.name == "node"]
        for selections in node_sets:
            for field in _fields(selections):
                if field.name in WANTS and not field.directives:
                    window = _parse_window(field.arguments.get("window"))
                    if window is not None:
                        found[(field.name, window)] = None
                        if field.name == "series":
                            arrays[window].update(series_arrays(field.selections))
    columns = tuple((window, columns_for(names)) for window, names in arrays.items())
    return Requests(tuple(found), columns)


async def prefetch(info: Info, scope_sets: Sequence[Scopes], *, video: bool) -> None:
    """Compute the page's selected metric fields for every node at once."""
    requests = requested_windows(info)
    if not requests.wants or not scope_sets:
        return
    ready = info.context.loaders.metrics.ready
    missing = [
        (want, scopes, window)
        for scopes in scope_sets
        for want, window in requests.wants
        if (want, scopes, window) not in ready
    ]
    if not missing:
        return
    scopes_read = list(dict.fromkeys(scope for _, scopes, _ in missing for scope in scopes))
    loaders = info.context.loaders.metrics
    rows = await loaders.pages.load((tuple(scopes_read), requests.wants, requests.series_columns))
    builder = PageBuilder(rows, video)
    for key in missing:
        ready[key] = builder.build(*key)
