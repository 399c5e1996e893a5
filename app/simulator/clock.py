"""A clock tests can move: real time plus an adjustable offset, or a frozen moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class SimClock:
    """Callable returning the simulated now."""

    offset: timedelta = field(default_factory=timedelta)
    frozen: datetime | None = None

    def __call__(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back with a negative delta)."""
        if self.frozen is not None:
            self.frozen += delta
        else:
            self.offset += delta
