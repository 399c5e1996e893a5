"""Shared GraphQL building blocks: enums, the Node interface and Relay connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Generic, TypeVar

import strawberry

from app.models import Availability, Platform

# The domain enums are exposed as they are; registering them here names and describes them.
strawberry.enum(Platform, name="Platform", description="A social platform CreatorAudit tracks.")
strawberry.enum(
    Availability,
    name="Availability",
    description="What the last refresh learned about the upstream profile or post: PENDING "
    "(never refreshed), ACTIVE, PRIVATE, NOT_FOUND, RESTRICTED or ERROR (see lastError).",
)


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    """Sort direction; null values always sort last."""

    ASC = strawberry.enum_value("ASC", description="Smallest or oldest first.")
    DESC = strawberry.enum_value("DESC", description="Largest or newest first.")


@strawberry.interface(description="An object with a globally unique, opaque id (Relay).")
class Node:
    """Relay Node: every object type implements it."""

    id: strawberry.ID = strawberry.field(description="Opaque global id; use it with node().")


@strawberry.type(description="Relay pagination state of a connection page.")
class PageInfo:
    """Where a page sits in its connection."""

    has_next_page: bool = strawberry.field(description="True when another page follows.")
    has_previous_page: bool = strawberry.field(
        description="True when this page was requested with `after` (forward pagination only)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )


T = TypeVar("T")

__all__ = ["Availability", "Connection", "Edge", "Node", "OrderDirection", "PageInfo", "Platform"]


@strawberry.type(description="One item of a connection page with its cursor.")
class Edge(Generic[T]):
    """A node and the opaque cursor that points just after it."""

    cursor: str = strawberry.field(
        description="Opaque cursor, valid only with the same filters and order."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a Relay connection.")
class Connection(Generic[T]):
    """A page of items with Relay edges, a flat `nodes` list and an on-demand total."""

    edges: list[Edge[T]] = strawberry.field(description="The page's items with cursors.")
    nodes: list[T] = strawberry.field(description="The page's items, without cursors.")
    page_info: PageInfo = strawberry.field(description="Pagination state.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="Number of items matching the filters across all pages; computed only "
        "when asked for."
    )
    async def total_count(self) -> int:
        return await self.count()
