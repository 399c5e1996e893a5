"""The largest counter value we accept, from any source, and the one check that applies it.

Every count (followers, views, likes, ...) that enters the database is at most `MAX_COUNT`,
one trillion. The largest public counters on Instagram and TikTok today are a few billion, so
the bound leaves a factor of a hundred and more for growth; and it keeps every stored sum far
inside signed 64 bits (BIGINT, our `BigInt` scalar): an aggregate row holds the sum of its
members' current counters (window values are differences of two such rows; nothing adds a
counter up over days), so an organization reaches 2^63 only with more than nine million
members (videos and profiles) all at the maximum. Over it, a value is not a count we can trust:
the importer reports the row as bad, the platform clients read it as unknown (null).

This module imports nothing from the application: importer, platform clients and metric store
all use it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_COUNT", "CountOutOfRange", "check_count", "is_count"]

MAX_COUNT: Final = 10**12


class CountOutOfRange(ValueError):
    """A counter below 0 or above `MAX_COUNT` reached the store: a bug upstream of it."""


def is_count(value: object) -> bool:
    """True for an int (not a bool) in [0, MAX_COUNT]."""
    return type(value) is int and 0 <= value <= MAX_COUNT


def check_count(name: str, value: int | None) -> None:
    """Raise `CountOutOfRange` unless `value` is None or a count in [0, MAX_COUNT]."""
    if value is not None and not is_count(value):
        raise CountOutOfRange(f"{name} {value!r} is not a count in [0, {MAX_COUNT:,}]")
