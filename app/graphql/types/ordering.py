"""Order-by inputs of the connections and the sort keys they map to."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.graphql.pagination import SortKey
from app.graphql.types.common import OrderDirection


@strawberry.enum(description="What an account list can be ordered by.")
class AccountOrderField(Enum):
    """Account sort keys."""

    ADDED_AT = strawberry.enum_value("ADDED_AT", description="When it was tracked.")
    FOLLOWERS = strawberry.enum_value("FOLLOWERS", description="Followers at the last refresh.")
    VIEWS = strawberry.enum_value("VIEWS", description="Views summed over its videos.")
    LIKES = strawberry.enum_value("LIKES", description="Likes summed over its videos.")


@strawberry.enum(description="What a video list can be ordered by.")
class VideoOrderField(Enum):
    """Video sort keys."""

    ADDED_AT = strawberry.enum_value("ADDED_AT", description="When it was discovered or added.")
    PUBLISHED_AT = strawberry.enum_value("PUBLISHED_AT", description="When it was published.")
    VIEWS = strawberry.enum_value("VIEWS", description="Latest views.")
    LIKES = strawberry.enum_value("LIKES", description="Latest likes.")


@strawberry.enum(description="What a creator list can be ordered by.")
class CreatorOrderField(Enum):
    """Creator sort keys."""

    ADDED_AT = strawberry.enum_value("ADDED_AT", description="When it was created.")
    NAME = strawberry.enum_value("NAME", description="Its name.")


@strawberry.input(description="Order of an account list; nulls always sort last.")
class AccountOrder:
    """Sort key and direction for accounts."""

    field: AccountOrderField = strawberry.field(description="Sort key.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Direction; DESC by default."
    )


@strawberry.input(description="Order of a video list; nulls always sort last.")
class VideoOrder:
    """Sort key and direction for videos."""

    field: VideoOrderField = strawberry.field(description="Sort key.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Direction; DESC by default."
    )


@strawberry.input(description="Order of a creator list.")
class CreatorOrder:
    """Sort key and direction for creators."""

    field: CreatorOrderField = strawberry.field(description="Sort key.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Direction; DESC by default."
    )


ACCOUNT_SORT_KEYS = {
    AccountOrderField.ADDED_AT: SortKey("added_at", "datetime", nullable=False),
    AccountOrderField.FOLLOWERS: SortKey("followers", "int", nullable=True),
    AccountOrderField.VIEWS: SortKey("total_views", "int", nullable=True),
    AccountOrderField.LIKES: SortKey("total_likes", "int", nullable=True),
}

ACCOUNT_VIDEO_SORT_KEYS = {
    VideoOrderField.ADDED_AT: SortKey("discovered_at", "datetime", nullable=True),
    VideoOrderField.PUBLISHED_AT: SortKey("published_at", "datetime", nullable=True),
    VideoOrderField.VIEWS: SortKey("views", "int", nullable=True),
    VideoOrderField.LIKES: SortKey("likes", "int", nullable=True),
}

INDIVIDUAL_VIDEO_SORT_KEYS = {
    **ACCOUNT_VIDEO_SORT_KEYS,
    VideoOrderField.ADDED_AT: SortKey("individual_added_at", "datetime", nullable=True),
}

CREATOR_SORT_KEYS = {
    CreatorOrderField.ADDED_AT: SortKey("added_at", "datetime", nullable=False),
    CreatorOrderField.NAME: SortKey("name", "str", nullable=False),
}

DEFAULT_ACCOUNT_ORDER = AccountOrder(field=AccountOrderField.ADDED_AT)
DEFAULT_VIDEO_ORDER = VideoOrder(field=VideoOrderField.PUBLISHED_AT)
DEFAULT_CREATOR_ORDER = CreatorOrder(field=CreatorOrderField.ADDED_AT)
