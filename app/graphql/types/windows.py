"""Window inputs (@oneOf preset or range) and the resolved window echoed in results."""

from __future__ import annotations

from datetime import date
from enum import Enum
from functools import lru_cache

import strawberry

from app.graphql.errors import BadUserInput
from app.graphql.flat_plan import trusted_values
from app.metrics.windows import (
    Preset,
    Window,
    WindowError,
    preset_window,
    range_window,
    today_utc,
)


@strawberry.enum(description="Windows ending today (UTC).")
class WindowPreset(Enum):
    """Preset windows."""

    D7 = strawberry.enum_value("D7", description="The last 7 days: [today−6, today].")
    D30 = strawberry.enum_value("D30", description="The last 30 days: [today−29, today].")
    D90 = strawberry.enum_value("D90", description="The last 90 days: [today−89, today].")


@strawberry.input(description="An inclusive range of UTC dates.")
class DateRangeInput:
    """A custom window: start ≤ end ≤ today, at most 366 days."""

    start: date = strawberry.field(
        description="First date (UTC), inclusive; not before 2000-01-01."
    )
    end: date = strawberry.field(description="Last date (UTC), inclusive; not after today.")


@strawberry.input(
    one_of=True, description="A window: exactly one of a preset or a custom date range."
)
class WindowInput:
    """Which dates a windowed result covers."""

    preset: WindowPreset | None = strawberry.field(
        default=strawberry.UNSET, description="D7, D30 or D90, ending today (UTC)."
    )
    range: DateRangeInput | None = strawberry.field(
        default=strawberry.UNSET, description="A custom inclusive range of at most 366 days."
    )


@trusted_values
@strawberry.type(description="The dates a windowed result covers, as resolved by the server.")
class DateWindow:
    """A resolved window."""

    start: date = strawberry.field(description="First date (UTC), inclusive.")
    end: date = strawberry.field(description="Last date (UTC), inclusive.")
    days: int = strawberry.field(description="Number of dates.")

    @classmethod
    def of(cls, window: Window) -> DateWindow:
        """Expose a window (one shared, never modified instance per window)."""
        return _date_window(window)


@lru_cache(maxsize=1024)
def _date_window(window: Window) -> DateWindow:
    # A page asks for the same few windows hundreds of times (every node, current and previous).
    return DateWindow(start=window.start, end=window.end, days=window.days)


def resolve_window(value: WindowInput, field: str = "window", today: date | None = None) -> Window:
    """The window a WindowInput names; BAD_USER_INPUT (naming the field) when it is invalid."""
    today = today or today_utc()
    if isinstance(value.preset, WindowPreset):
        return preset_window(Preset[value.preset.name], today)
    if isinstance(value.range, DateRangeInput):
        try:
            return range_window(value.range.start, value.range.end, today, f"{field}.range")
        except WindowError as exc:
            raise BadUserInput(exc.message, field=exc.field) from None
    raise BadUserInput("Give exactly one of `preset` or `range`", field=field)
