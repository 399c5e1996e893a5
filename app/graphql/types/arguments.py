"""Argument types shared by the connection fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

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
