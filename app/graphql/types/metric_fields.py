"""The `metrics`, `series` and `comparison` resolvers shared by every scope's type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.types.metrics import (
    EngagementComparison,
    EngagementMetrics,
    EngagementSeries,
    VideoComparison,
    VideoMetrics,
    VideoSeries,
)
from app.graphql.types.windows import DateWindow, WindowInput, resolve_window
from app.metrics.reader import ScopeKey

WindowArg = Annotated[
    WindowInput,
    strawberry.argument(description="A preset (D7, D30, D90) or a custom UTC date range."),
]

METRICS_DESCRIPTION = "Values over a window: levels at its end and gains within it."
SERIES_DESCRIPTION = "Daily values over a window as parallel arrays (for charts)."
COMPARISON_DESCRIPTION = "The window against the previous window of the same length."


async def engagement_metrics(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementMetrics:
    """Metrics of the summed scopes."""
    resolved = resolve_window(window)
    loaders = info.context.loaders.metrics
    values, coverage = loaders.windows(scopes, resolved), loaders.coverage(scopes, resolved)
    return EngagementMetrics.of(await values, await coverage)


async def engagement_series(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementSeries:
    """Daily series of the summed scopes."""
    resolved = resolve_window(window)
    values = await info.context.loaders.metrics.series(scopes, resolved)
    return EngagementSeries.of(DateWindow.of(resolved), values)


async def engagement_comparison(
    info: Info, scopes: Sequence[ScopeKey], window: WindowInput
) -> EngagementComparison:
    """The window against the previous one, for the summed scopes."""
    resolved = resolve_window(window)
    loaders = info.context.loaders.metrics
    current = loaders.windows(scopes, resolved)
    previous = loaders.windows(scopes, resolved.previous())
    return EngagementComparison.of(await current, await previous)


async def video_metrics(info: Info, scope: ScopeKey, window: WindowInput) -> VideoMetrics:
    """Metrics of one video."""
    resolved = resolve_window(window)
    loaders = info.context.loaders.metrics
    values, coverage = loaders.windows([scope], resolved), loaders.coverage([scope], resolved)
    return VideoMetrics.of(await values, await coverage)


async def video_series(info: Info, scope: ScopeKey, window: WindowInput) -> VideoSeries:
    """Daily series of one video."""
    resolved = resolve_window(window)
    values = await info.context.loaders.metrics.series([scope], resolved)
    return VideoSeries.of(DateWindow.of(resolved), values)


async def video_comparison(info: Info, scope: ScopeKey, window: WindowInput) -> VideoComparison:
    """One video's window against the previous one."""
    resolved = resolve_window(window)
    loaders = info.context.loaders.metrics
    current = loaders.windows([scope], resolved)
    previous = loaders.windows([scope], resolved.previous())
    return VideoComparison.of(await current, await previous)
