"""Windowed metrics, daily series and period-over-period comparisons (SPEC §4)."""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

import strawberry

from app.graphql.flat_plan import trusted_values
from app.graphql.types.scalars import BigInt
from app.graphql.types.windows import DateWindow
from app.metrics.compute import Change, WindowValues, compare
from app.metrics.series import SeriesValues

_GAIN = "gained in the window (null when nothing is known of it in the window)"
_DAY = "per day, aligned with `dates`: that day's attributed gain (null before anything is known)"


@trusted_values
@strawberry.type(description="A video's gains over a window.")
class VideoMetrics:
    """Gains of one video in a window."""

    window: DateWindow = strawberry.field(description="The resolved window.")
    views: BigInt | None = strawberry.field(description=f"Views {_GAIN}.")
    plays: BigInt | None = strawberry.field(description=f"Plays {_GAIN}; TikTok: equal to views.")
    likes: BigInt | None = strawberry.field(description=f"Likes {_GAIN}.")
    comments: BigInt | None = strawberry.field(description=f"Comments {_GAIN}.")
    shares: BigInt | None = strawberry.field(description=f"Shares {_GAIN}.")
    saves: BigInt | None = strawberry.field(description=f"Saves {_GAIN}; always null on TikTok.")
    engagement_rate: float | None = strawberry.field(
        description="(likes + comments + shares) / views × 100 over the window's gains; null "
        "when views is unknown, 0 or negative (a recount)."
    )
    coverage: float = strawberry.field(
        description="Fraction (0–1) of the window's days with at least one observation."
    )

    @classmethod
    def of(cls, values: WindowValues, coverage: float) -> VideoMetrics:
        """Expose computed window values."""
        return cls(
            window=DateWindow.of(values.window),
            views=values.views,  # type: ignore[arg-type]
            plays=values.plays,  # type: ignore[arg-type]
            likes=values.likes,  # type: ignore[arg-type]
            comments=values.comments,  # type: ignore[arg-type]
            shares=values.shares,  # type: ignore[arg-type]
            saves=values.saves,  # type: ignore[arg-type]
            engagement_rate=values.engagement_rate,
            coverage=coverage,
        )


@trusted_values
@strawberry.type(
    description="Windowed metrics of an account, a creator or the organization: profile level "
    "and change, posts published, and engagement gains summed over the videos."
)
class EngagementMetrics:
    """Gains of an account (with its videos), a creator or the organization in a window."""

    window: DateWindow = strawberry.field(description="The resolved window.")
    followers: BigInt | None = strawberry.field(
        description="Followers at the window's end (summed over accounts)."
    )
    followers_change: BigInt | None = strawberry.field(
        description="Followers gained in the window; an account's first count is a baseline."
    )
    videos_published: int = strawberry.field(
        description="Posts published in the window (unknown publish dates are not counted)."
    )
    views: BigInt | None = strawberry.field(description=f"Views {_GAIN}.")
    plays: BigInt | None = strawberry.field(description=f"Plays {_GAIN}.")
    likes: BigInt | None = strawberry.field(description=f"Likes {_GAIN}.")
    comments: BigInt | None = strawberry.field(description=f"Comments {_GAIN}.")
    shares: BigInt | None = strawberry.field(description=f"Shares {_GAIN}.")
    saves: BigInt | None = strawberry.field(
        description=f"Saves {_GAIN}; Instagram only (owner insights)."
    )
    engagement_rate: float | None = strawberry.field(
        description="(likes + comments + shares) / views × 100 over the summed gains (never an "
        "average of rates); null when views is unknown, 0 or negative (a recount)."
    )
    coverage: float = strawberry.field(
        description="Fraction (0–1) of the window's days with an observation of the scope or "
        "of anything inside it."
    )

    @classmethod
    def of(cls, values: WindowValues, coverage: float) -> EngagementMetrics:
        """Expose computed window values."""
        return cls(
            window=DateWindow.of(values.window),
            followers=values.followers,  # type: ignore[arg-type]
            followers_change=values.followers_change,  # type: ignore[arg-type]
            videos_published=values.videos_published,
            views=values.views,  # type: ignore[arg-type]
            plays=values.plays,  # type: ignore[arg-type]
            likes=values.likes,  # type: ignore[arg-type]
            comments=values.comments,  # type: ignore[arg-type]
            shares=values.shares,  # type: ignore[arg-type]
            saves=values.saves,  # type: ignore[arg-type]
            engagement_rate=values.engagement_rate,
            coverage=coverage,
        )


@trusted_values
@strawberry.type(description="A video's daily gains as parallel arrays aligned with `dates`.")
class VideoSeries:
    """Daily series of one video."""

    window: DateWindow = strawberry.field(description="The resolved window.")
    dates: list[date] = strawberry.field(description="Every date of the window, in order.")
    observed: list[bool] = strawberry.field(
        description="Per day: whether the video was actually observed that day."
    )
    views: list[BigInt | None] = strawberry.field(description=f"Views {_DAY}.")
    plays: list[BigInt | None] = strawberry.field(description=f"Plays {_DAY}.")
    likes: list[BigInt | None] = strawberry.field(description=f"Likes {_DAY}.")
    comments: list[BigInt | None] = strawberry.field(description=f"Comments {_DAY}.")
    shares: list[BigInt | None] = strawberry.field(description=f"Shares {_DAY}.")
    saves: list[BigInt | None] = strawberry.field(description=f"Saves {_DAY}.")
    engagement_rate: list[float | None] = strawberry.field(
        description="Per day: the engagement rate of that day's gains."
    )

    @classmethod
    def of(cls, window: DateWindow, values: SeriesValues) -> VideoSeries:
        """Expose computed series (each array built when first read)."""
        return _view(_VideoSeriesView, window, values)


@trusted_values
@strawberry.type(
    description="Daily values of an account, creator or the organization as parallel arrays "
    "aligned with `dates`, ready for charts."
)
class EngagementSeries:
    """Daily series of an aggregate scope."""

    window: DateWindow = strawberry.field(description="The resolved window.")
    dates: list[date] = strawberry.field(description="Every date of the window, in order.")
    observed: list[bool] = strawberry.field(
        description="Per day: whether anything in the scope was actually observed that day."
    )
    followers: list[BigInt | None] = strawberry.field(
        description="Per day: the follower level (carried forward between observations)."
    )
    followers_change: list[BigInt | None] = strawberry.field(
        description="Per day: followers gained that day."
    )
    videos_published: list[int] = strawberry.field(description="Per day: posts published.")
    views: list[BigInt | None] = strawberry.field(description=f"Views {_DAY}.")
    plays: list[BigInt | None] = strawberry.field(description=f"Plays {_DAY}.")
    likes: list[BigInt | None] = strawberry.field(description=f"Likes {_DAY}.")
    comments: list[BigInt | None] = strawberry.field(description=f"Comments {_DAY}.")
    shares: list[BigInt | None] = strawberry.field(description=f"Shares {_DAY}.")
    saves: list[BigInt | None] = strawberry.field(description=f"Saves {_DAY}.")
    engagement_rate: list[float | None] = strawberry.field(
        description="Per day: the engagement rate of that day's summed gains."
    )

    @classmethod
    def of(cls, window: DateWindow, values: SeriesValues) -> EngagementSeries:
        """Expose computed series (each array built when first read)."""
        return _view(_EngagementSeriesView, window, values)


S = TypeVar("S", VideoSeries, EngagementSeries)


def _view_type(series_type: type[S]) -> type[S]:
    """A subclass of a series type reading its arrays from the engine's `SeriesValues`.

    A query selects a few of a series' arrays: reading them through the engine's lazy arrays
    builds only those (a 366-day chart of two counters builds two arrays, not twelve).
    """
    arrays = [name for name in series_type.__annotations__ if name != "window"]
    namespace = {name: property(attrgetter(f"values.{name}")) for name in arrays}
    return type(f"{series_type.__name__}View", (series_type,), namespace)


_VideoSeriesView = _view_type(VideoSeries)
_EngagementSeriesView = _view_type(EngagementSeries)


def _view(view_type: type[S], window: DateWindow, values: SeriesValues) -> S:
    view = object.__new__(view_type)
    view.window = window
    view.values = values  # type: ignore[attr-defined]
    return view


@trusted_values
@strawberry.type(description="A count compared across a window and the one before it.")
class CountChange:
    """Current and previous values of a count."""

    current: BigInt | None = strawberry.field(description="Value in the requested window.")
    previous: BigInt | None = strawberry.field(description="Value in the previous window.")
    change: BigInt | None = strawberry.field(
        description="current − previous; null when either is unknown."
    )
    change_percent: float | None = strawberry.field(
        description="change / |previous| × 100; null when previous is 0 or unknown."
    )

    @classmethod
    def between(cls, current: int | None, previous: int | None) -> CountChange:
        """Compare two counts (what `of(compare(...))` gives, without the intermediate)."""
        # Without the BigInt wrappers (a NewType: the identity at run time): a page builds ten
        # of these per node.
        now: Any = current
        then: Any = previous
        if now is None or then is None:
            return cls(current=now, previous=then, change=None, change_percent=None)
        change: Any = now - then
        percent = change / abs(then) * 100 if then else None
        return cls(current=now, previous=then, change=change, change_percent=percent)


@trusted_values
@strawberry.type(description="A rate (percentage) compared across two windows.")
class RateChange:
    """Current and previous values of a rate."""

    current: float | None = strawberry.field(description="Rate in the requested window.")
    previous: float | None = strawberry.field(description="Rate in the previous window.")
    change: float | None = strawberry.field(
        description="current − previous, in percentage points; null when either is unknown."
    )
    change_percent: float | None = strawberry.field(
        description="change / |previous| × 100; null when previous is 0 or unknown."
    )

    @classmethod
    def of(cls, change: Change) -> RateChange:
        """Expose a comparison of rates."""
        return cls(
            current=change.current,
            previous=change.previous,
            change=change.change,
            change_percent=change.change_percent,
        )


@trusted_values
@strawberry.type(
    description="A video's gains in a window against the previous window of the same length."
)
class VideoComparison:
    """Period-over-period comparison of one video."""

    window: DateWindow = strawberry.field(description="The requested window.")
    previous_window: DateWindow = strawberry.field(
        description="Same length, ending the day before `window` starts."
    )
    views: CountChange = strawberry.field(description="Views gained.")
    plays: CountChange = strawberry.field(description="Plays gained.")
    likes: CountChange = strawberry.field(description="Likes gained.")
    comments: CountChange = strawberry.field(description="Comments gained.")
    shares: CountChange = strawberry.field(description="Shares gained.")
    saves: CountChange = strawberry.field(description="Saves gained.")
    engagement_rate: RateChange = strawberry.field(
        description="Engagement rate; the change is in percentage points."
    )

    @classmethod
    def of(cls, current: WindowValues, previous: WindowValues) -> VideoComparison:
        """Compare two windows' values."""
        return cls(
            window=DateWindow.of(current.window),
            previous_window=DateWindow.of(previous.window),
            **{
                n: CountChange.between(getattr(current, n), getattr(previous, n))
                for n in _VIDEO_COUNTS
            },
            engagement_rate=RateChange.of(compare(current, previous, "engagement_rate")),
        )


@trusted_values
@strawberry.type(
    description="Metrics of an account, creator or the organization in a window against the "
    "previous window of the same length. Followers compare their levels at each window's end."
)
class EngagementComparison:
    """Period-over-period comparison of an aggregate scope."""

    window: DateWindow = strawberry.field(description="The requested window.")
    previous_window: DateWindow = strawberry.field(
        description="Same length, ending the day before `window` starts."
    )
    followers: CountChange = strawberry.field(description="Follower level at each window's end.")
    followers_change: CountChange = strawberry.field(description="Followers gained.")
    videos_published: CountChange = strawberry.field(description="Posts published.")
    views: CountChange = strawberry.field(description="Views gained.")
    plays: CountChange = strawberry.field(description="Plays gained.")
    likes: CountChange = strawberry.field(description="Likes gained.")
    comments: CountChange = strawberry.field(description="Comments gained.")
    shares: CountChange = strawberry.field(description="Shares gained.")
    saves: CountChange = strawberry.field(description="Saves gained.")
    engagement_rate: RateChange = strawberry.field(
        description="Engagement rate; the change is in percentage points."
    )

    @classmethod
    def of(cls, current: WindowValues, previous: WindowValues) -> EngagementComparison:
        """Compare two windows' values."""
        between = CountChange.between
        return cls(
            window=DateWindow.of(current.window),
            previous_window=DateWindow.of(previous.window),
            followers=between(current.followers, previous.followers),
            followers_change=between(current.followers_change, previous.followers_change),
            videos_published=between(current.videos_published, previous.videos_published),
            views=between(current.views, previous.views),
            plays=between(current.plays, previous.plays),
            likes=between(current.likes, previous.likes),
            comments=between(current.comments, previous.comments),
            shares=between(current.shares, previous.shares),
            saves=between(current.saves, previous.saves),
            engagement_rate=RateChange.of(compare(current, previous, "engagement_rate")),
        )


_VIDEO_COUNTS = ("views", "plays", "likes", "comments", "shares", "saves")
