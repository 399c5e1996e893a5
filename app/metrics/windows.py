"""Windows: inclusive ranges of UTC dates, resolved from presets or custom ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from functools import lru_cache

MAX_WINDOW_DAYS = 366
_ONE_DAY = timedelta(days=1)
# The earliest date a custom window may start (README: hostile input). Dates near year 1 would
# overflow the date arithmetic of previous windows; no platform existed before it.
MIN_WINDOW_DATE = date(2000, 1, 1)


class Preset(Enum):
    """Windows that end today."""

    D7 = 7
    D30 = 30
    D90 = 90


class WindowError(ValueError):
    """A custom range that is not a valid window; `field` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive range of UTC dates."""

    start: date
    end: date
    # Derived once: every metric value of a page reads them, often several times.
    days: int = field(init=False, compare=False, repr=False)  # number of dates in the window
    # The last date before the window (cumulative values there are subtracted).
    before_start: date = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", (self.end - self.start).days + 1)
        object.__setattr__(self, "before_start", self.start - _ONE_DAY)

    def previous(self) -> Window:
        """The window of the same length ending the day before this one starts."""
        end = self.before_start
        return Window(end - timedelta(days=self.days - 1), end)

    def dates(self) -> list[date]:
        """Every date of the window, in order (one shared list per window: never modify it)."""
        return _dates(self.start, self.days)


@lru_cache(maxsize=512)
def _dates(start: date, days: int) -> list[date]:
    # A long series asks for hundreds of dates on every request; windows repeat all day.
    return [start + timedelta(days=offset) for offset in range(days)]


def today_utc() -> date:
    """Today's UTC date."""
    return datetime.now(UTC).date()


def preset_window(preset: Preset, today: date) -> Window:
    """A preset window ending today: D7 = [today−6, today]."""
    return Window(today - timedelta(days=preset.value - 1), today)


def range_window(start: date, end: date, today: date, field: str = "window.range") -> Window:
    """Validate a custom range: 2000-01-01 ≤ start ≤ end ≤ today, at most 366 days."""
    if start > end:
        raise WindowError(f"start ({start}) is after end ({end})", f"{field}.start")
    if start < MIN_WINDOW_DATE:
        raise WindowError(
            f"start ({start}) is before {MIN_WINDOW_DATE}, the earliest date a window may cover",
            f"{field}.start",
        )
    if end > today:
        raise WindowError(f"end ({end}) is after today ({today}, UTC)", f"{field}.end")
    window = Window(start, end)
    if window.days > MAX_WINDOW_DAYS:
        raise WindowError(
            f"the range spans {window.days} days; the maximum is {MAX_WINDOW_DAYS}", field
        )
    return window


def trailing_window(days: int, today: date) -> Window:
    """The last `days` days ending today: [today−days+1, today]."""
    return Window(today - timedelta(days=days - 1), today)
