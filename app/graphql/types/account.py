"""The Account type: a tracked profile."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.execution import fast_resolver
from app.graphql.ids import encode_id
from app.graphql.loaders import AccountVideosKey
from app.graphql.pagination import (
    DEFAULT_PAGE_SIZE,
    binding_of,
    build_connection,
    page_args,
    page_in_memory,
)
from app.graphql.types.arguments import (
    After,
    AvailabilityArg,
    First,
    PublishedAfter,
    PublishedBefore,
    video_filters,
)
from app.graphql.types.common import Availability, Connection, Node, Platform
from app.graphql.types.metric_fields import (
    COMPARISON_DESCRIPTION,
    METRICS_DESCRIPTION,
    SERIES_DESCRIPTION,
    WindowArg,
    engagement_comparison,
    engagement_metrics,
    engagement_series,
    prefetch,
)
from app.graphql.types.metrics import EngagementComparison, EngagementMetrics, EngagementSeries
from app.graphql.types.ordering import (
    ACCOUNT_VIDEO_SORT_KEYS,
    CREATOR_SORT_KEYS,
    DEFAULT_CREATOR_ORDER,
    DEFAULT_VIDEO_ORDER,
    CreatorOrder,
    VideoOrder,
)
from app.graphql.types.scalars import BigInt, big
from app.models import Platform as PlatformModel
from app.models import ScopeKind
from app.platforms.registry import spec

if TYPE_CHECKING:
    from app.graphql.types.creator import Creator
    from app.graphql.types.video import AccountVideo

CreatorRef = Annotated["Creator", strawberry.lazy("app.graphql.types.creator")]
AccountVideoRef = Annotated["AccountVideo", strawberry.lazy("app.graphql.types.video")]


def profile_url(platform: PlatformModel, handle: str) -> str:
    """The public profile URL of a handle."""
    return spec(platform).profile_url(handle)


@strawberry.type(description="A tracked Instagram or TikTok profile.")
class Account(Node):
    """A tracked profile; engagement fields are sums over its discovered videos."""

    row: strawberry.Private[models.Account]

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        """Expose an ORM row."""
        return cls(id=strawberry.ID(encode_id("Account", row.id)), row=row)

    @strawberry.field(description="The platform of the profile.")
    def platform(self) -> Platform:
        return self.row.platform

    @strawberry.field(description="The handle (username), lowercase, without '@'.")
    def handle(self) -> str:
        return self.row.handle

    @strawberry.field(description="Public profile URL.")
    def url(self) -> str:
        return profile_url(self.row.platform, self.row.handle)

    @strawberry.field(description="The platform's user id, when the platform reports one.")
    def platform_user_id(self) -> str | None:
        return self.row.platform_user_id

    @strawberry.field(description="Display name from the profile; null until refreshed.")
    def display_name(self) -> str | None:
        return self.row.display_name

    @strawberry.field(description="Profile biography; null until refreshed.")
    def biography(self) -> str | None:
        return self.row.biography

    @strawberry.field(description="Profile picture URL (may be a short-lived signed URL).")
    def avatar_url(self) -> str | None:
        return self.row.avatar_url

    @strawberry.field(description="Website link from the profile.")
    def website(self) -> str | None:
        return self.row.website

    @strawberry.field(
        description="The platform's verification badge; null when unknown (Instagram's "
        "Business Discovery does not report it)."
    )
    def is_verified(self) -> bool | None:
        return self.row.is_verified

    @strawberry.field(description="Followers at the last refresh; null until known.")
    def followers(self) -> BigInt | None:
        return big(self.row.followers)

    @strawberry.field(description="Accounts this profile follows, at the last refresh.")
    def following(self) -> BigInt | None:
        return big(self.row.following)

    @strawberry.field(description="Number of posts the platform reports for the profile.")
    def posts_count(self) -> BigInt | None:
        return big(self.row.posts_count)

    @strawberry.field(
        description="Views summed over the account's discovered videos at their latest values."
    )
    def views(self) -> BigInt | None:
        return big(self.row.total_views)

    @strawberry.field(
        description="Likes summed over the account's discovered videos at their latest values."
    )
    def likes(self) -> BigInt | None:
        return big(self.row.total_likes)

    @strawberry.field(description="Hours between scheduled refreshes (default 24).")
    def scrape_interval_hours(self) -> int:
        return self.row.scrape_interval_hours

    @strawberry.field(description="Availability learned by the last refresh.")
    def availability(self) -> Availability:
        return self.row.availability

    @strawberry.field(
        description="Message of the last refresh error: why availability is ERROR, or, on an "
        "ACTIVE account, why the owner's insights token was refused (reconnect it)."
    )
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="When the last refresh error happened.")
    def last_error_time(self) -> datetime | None:
        return self.row.last_error_at

    @strawberry.field(description="When the organization started tracking the account.")
    def added_at(self) -> datetime:
        return self.row.added_at

    @strawberry.field(description="When the first refresh completed; null until then.")
    def first_scrape_time(self) -> datetime | None:
        return self.row.first_scrape_at

    @strawberry.field(description="When the last refresh completed; null until the first one.")
    def last_scrape_time(self) -> datetime | None:
        return self.row.last_scrape_at

    @strawberry.field(description="When the next scheduled refresh is due.")
    def next_scrape_time(self) -> datetime | None:
        return self.row.next_scrape_at

    @strawberry.field(description="Whether the owner connected the account for insights (saves).")
    def is_connected(self) -> bool:
        return self.row.insights_token is not None

    # Synchronous on purpose: a prefetched value comes back without a task; otherwise the
    # returned awaitable goes through the same batched loaders.
    @strawberry.field(description=METRICS_DESCRIPTION)
    @fast_resolver
    def metrics(self, info: Info, window: WindowArg) -> EngagementMetrics:
        return engagement_metrics(info, [(ScopeKind.ACCOUNT, self.row.id)], window)  # type: ignore[return-value]

    @strawberry.field(description=SERIES_DESCRIPTION)
    @fast_resolver
    def series(self, info: Info, window: WindowArg) -> EngagementSeries:
        return engagement_series(info, [(ScopeKind.ACCOUNT, self.row.id)], window)  # type: ignore[return-value]

    @strawberry.field(description=COMPARISON_DESCRIPTION)
    @fast_resolver
    def comparison(self, info: Info, window: WindowArg) -> EngagementComparison:
        return engagement_comparison(info, [(ScopeKind.ACCOUNT, self.row.id)], window)  # type: ignore[return-value]

    @strawberry.field(description="Creators this account belongs to.")
    async def creators(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        order_by: Annotated[
            CreatorOrder | None, strawberry.argument(description="Sort order.")
        ] = None,
    ) -> Connection[CreatorRef]:
        from app.graphql.types.creator import Creator

        order = order_by or DEFAULT_CREATOR_ORDER
        args = page_args(
            first,
            after,
            binding=binding_of("Account.creators", parent=self.row.id, order=order),
            key=CREATOR_SORT_KEYS[order.field],
            direction=order.direction,
        )
        loaders = info.context.loaders
        ids = await loaders.creator_ids_by_account_id.load(self.row.id)
        rows = [row for row in await loaders.creator_by_id.load_many(ids) if row is not None]
        page, has_next = page_in_memory(rows, args)

        async def count() -> int:
            return len(rows)

        return build_connection(page, has_next, args, Creator.from_row, count)

    @strawberry.field(description="Videos discovered from this account's feed.")
    async def videos(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        published_after: PublishedAfter = None,
        published_before: PublishedBefore = None,
        availability: AvailabilityArg = None,
        order_by: Annotated[
            VideoOrder | None,
            strawberry.argument(description="Sort order; newest published first by default."),
        ] = None,
    ) -> Connection[AccountVideoRef]:
        from app.graphql.types.video import AccountVideo

        order = order_by or DEFAULT_VIDEO_ORDER
        filters = video_filters(published_after, published_before, availability)
        args = page_args(
            first,
            after,
            binding=binding_of("Account.videos", parent=self.row.id, order=order, f=filters),
            key=ACCOUNT_VIDEO_SORT_KEYS[order.field],
            direction=order.direction,
        )
        loaders = info.context.loaders
        rows, has_next = await loaders.videos_page_by_account.load(
            AccountVideosKey(self.row.id, args, filters)
        )
        await prefetch(info, [((ScopeKind.VIDEO, row.id),) for row in rows], video=True)

        async def count() -> int:
            return await loaders.video_count_by_account.load((self.row.id, filters))

        return build_connection(rows, has_next, args, AccountVideo.from_row, count)
