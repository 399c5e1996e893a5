"""Summing members' changes per aggregate scope, so each scope moves in one set-based step.

Pure functions, no I/O. A member's change (`RowChanges`) is a step function over dates: from
each segment's start its cumulative columns move by the segment's delta. The change of an
aggregate scope is the sum of its members' step functions, and applying the sum once gives the
same rows as applying each member after the other, provided the scope has a row on every date
where some member's change starts (each copies the value before the change, `ensure_days`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.metrics.attribution import CUMULATIVE, KNOWN_FROM, KnownFrom, RowChanges
from app.metrics.scopes import Scope

__all__ = ["MemberChange", "ScopeMove", "combine", "moved_later"]

_WIDTH = len(CUMULATIVE)


@dataclass(frozen=True, slots=True)
class MemberChange:
    """One member of `target` changed: its rows moved by `changes`, its first-known dates too."""

    target: Scope
    organization_id: int
    changes: RowChanges
    old_known: KnownFrom
    new_known: KnownFrom


@dataclass(slots=True)
class ScopeMove:
    """Everything an aggregate scope's rows and first-known dates must do, summed."""

    organization_id: int
    ensure_days: set[date] = field(default_factory=set)
    steps: dict[date, list[int]] = field(default_factory=dict)  # day -> change of the delta
    observations: dict[date, int] = field(default_factory=dict)
    recompute_known: bool = False  # some member's first-known date moved later or vanished
    earliest_known: dict[str, date] = field(default_factory=dict)  # to merge with LEAST

    def segments(self) -> list[tuple[date, date | None, tuple[int, ...]]]:
        """(start, stop or None, delta) of every date range the sum moves, in date order."""
        level = [0] * _WIDTH
        marks: list[tuple[date, tuple[int, ...]]] = []
        for day in sorted(self.steps):
            level = [a + b for a, b in zip(level, self.steps[day], strict=True)]
            if not marks or marks[-1][1] != tuple(level):
                marks.append((day, tuple(level)))
        return [
            (start, marks[i + 1][0] if i + 1 < len(marks) else None, delta)
            for i, (start, delta) in enumerate(marks)
            if any(delta)
        ]

    def moved_observations(self) -> dict[date, int]:
        """The days whose observation count changes, with the change."""
        return {day: delta for day, delta in self.observations.items() if delta}

    def merged_known(self) -> KnownFrom | None:
        """First-known dates to merge (the earlier of stored and these), or None for nothing."""
        if self.recompute_known or not self.earliest_known:
            return None
        return {name: self.earliest_known.get(name) for name in KNOWN_FROM}


def moved_later(old: KnownFrom, new: KnownFrom) -> bool:
    """True when some first-known date moved later or became unknown."""
    return any(
        o is not None and (n is None or n > o)
        for o, n in ((old[name], new[name]) for name in KNOWN_FROM)
    )


def _add_steps(move: ScopeMove, changes: RowChanges) -> None:
    previous = (0,) * _WIDTH
    for segment in changes.segments:
        step = [n - p for n, p in zip(segment.delta, previous, strict=True)]
        current = move.steps.setdefault(segment.start, [0] * _WIDTH)
        move.steps[segment.start] = [a + b for a, b in zip(current, step, strict=True)]
        previous = segment.delta
        if any(segment.delta):
            move.ensure_days.add(segment.start)
    for day, delta in changes.observations.items():
        move.observations[day] = move.observations.get(day, 0) + delta
        move.ensure_days.add(day)


def _add_known(move: ScopeMove, old: KnownFrom, new: KnownFrom) -> None:
    if old == new:
        return
    if moved_later(old, new):
        move.recompute_known = True
        return
    for name in KNOWN_FROM:
        value = new[name]
        if value is not None and (
            name not in move.earliest_known or value < move.earliest_known[name]
        ):
            move.earliest_known[name] = value


def combine(changes: Iterable[MemberChange]) -> dict[Scope, ScopeMove]:
    """Every aggregate scope's summed move, from its members' changes."""
    moves: dict[Scope, ScopeMove] = {}
    for change in changes:
        move = moves.get(change.target)
        if move is None:
            move = moves[change.target] = ScopeMove(change.organization_id)
        if not change.changes.empty:
            _add_steps(move, change.changes)
        _add_known(move, change.old_known, change.new_known)
    return moves
