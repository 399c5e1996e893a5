"""Argument types shared by the connection fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from app.graphql.errors import BadUserInput
from app.graphql.loaders import VideoFilters
from app.graphql.types.common import Availability, Platform

First = Annotated[int | None, strawberry.argument(description="Page size, 1–200 (default 50).")]
After = Annotated[str | None, strawberry.argument(description="Cursor from a previous page.")]
PlatformArg = Annotated[
    Platform | None, strawberry.argument(description="Only items on this platform.")
]
TextArg = Annotated[
    str | None,
    strawberry.argument(description="Case-insensitive text to look for (handle, name, caption)."),
]
AvailabilityArg = Annotated[
    Availability | None, strawberry.argument(description="Only items in this state.")
]
PublishedAfter = Annotated[
    datetime | None, strawberry.argument(description="Only videos published at or after this time.")
]
PublishedBefore = Annotated[
    datetime | None, strawberry.argument(description="Only videos published before this time.")
]


def _in_utc(value: datetime | None, name: str) -> datetime | None:
    """`value` in UTC (no offset: UTC); BAD_USER_INPUT when it has no UTC equivalent."""
    # Year 1 or 9999 with an offset that moves the time out of the calendar: asyncpg's
    # encoder would overflow (INTERNAL_SERVER_ERROR before this check).
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadUserInput(
            f"`{name}` is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC",
            field=name,
            reason="OUT_OF_RANGE",
        ) from None


def video_filters(
    published_after: datetime | None,
    published_before: datetime | None,
    availability: Availability | None,
) -> VideoFilters:
    """The shared video filters of a connection's arguments, their times in UTC."""
    return VideoFilters(
        _in_utc(published_after, "publishedAfter"),
        _in_utc(published_before, "publishedBefore"),
        availability,
    )
