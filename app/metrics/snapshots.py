"""Merging new observations into an entity's daily snapshots (pure, no I/O).

A snapshot holds the last observation of its UTC date: an observation replaces the stored one
of its date when it was made at the same moment or later, and writing the same observation
twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.metrics.bulk_read import Snapshot
from app.metrics.observations import Counters, utc_date

__all__ = ["merge_snapshots"]


def merge_snapshots(
    stored: dict[date, Snapshot], incoming: Sequence[Counters], fields: Sequence[str]
) -> tuple[dict[date, Snapshot], list[tuple[date, Snapshot]]]:
    """Every snapshot after the merge, by day, and the (day, snapshot) pairs to write."""
    latest: dict[date, Counters] = {}
    for counters in incoming:
        day = utc_date(counters.observed_at)
        if day not in latest or counters.observed_at >= latest[day].observed_at:
            latest[day] = counters
    merged = dict(stored)
    written: list[tuple[date, Snapshot]] = []
    for day, counters in latest.items():
        values = (counters.observed_at, *(getattr(counters, name) for name in fields))
        current = stored.get(day)
        if current is None or (values[0] >= current[0] and values != current):
            merged[day] = values
            written.append((day, values))
    return merged, written
