"""The Video interface and its two roles: account videos and individual videos."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.execution import fast_resolver
from app.graphql.ids import encode_id
from app.graphql.types.common import Availability, Node, Platform
from app.graphql.types.metric_fields import (
    COMPARISON_DESCRIPTION,
    METRICS_DESCRIPTION,
    SERIES_DESCRIPTION,
    WindowArg,
    video_comparison,
    video_metrics,
    video_series,
)
from app.graphql.types.metrics import VideoComparison, VideoMetrics, VideoSeries
from app.graphql.types.scalars import BigInt, big
from app.metrics.compute import engagement_rate
from app.models import ScopeKind

if TYPE_CHECKING:
    from app.graphql.types.account import Account

AccountRef = Annotated["Account", strawberry.lazy("app.graphql.types.account")]


@strawberry.interface(
    description="An Instagram or TikTok post. The counters are the latest known cumulative "
    "values; null means unknown, 0 means measured zero."
)
class Video(Node):
    """Fields shared by account videos and individual videos."""

    row: strawberry.Private[models.Video]

    @strawberry.field(description="The platform of the post.")
    def platform(self) -> Platform:
        return self.row.platform

    @strawberry.field(
        description="The platform's numeric id of the post, as a decimal string (Instagram "
        "media pk or TikTok video id)."
    )
    def video_id(self) -> str:
        return self.row.platform_video_id

    @strawberry.field(description="Instagram shortcode (the code in /p/<code>/); null on TikTok.")
    def shortcode(self) -> str | None:
        return self.row.shortcode

    @strawberry.field(description="Canonical public URL of the post.")
    def url(self) -> str | None:
        return self.row.url

    @strawberry.field(description="Handle of the author, when known.")
    def author_handle(self) -> str | None:
        return self.row.author_handle

    @strawberry.field(description="Caption or description text.")
    def caption(self) -> str | None:
        return self.row.caption

    @strawberry.field(description="Media type as the platform reports it (VIDEO, IMAGE, …).")
    def media_type(self) -> str | None:
        return self.row.media_type

    @strawberry.field(description="Thumbnail URL (may be short-lived).")
    def thumbnail_url(self) -> str | None:
        return self.row.thumbnail_url

    @strawberry.field(description="Publish time; null when unknown.")
    def published_at(self) -> datetime | None:
        return self.row.published_at

    @strawberry.field(description="Views; null when the source does not report them (images).")
    def views(self) -> BigInt | None:
        return big(self.row.views)

    @strawberry.field(
        description="Plays. A TikTok video's plays equal its views; Instagram reports none "
        "publicly, so Instagram plays are null unless imported."
    )
    def plays(self) -> BigInt | None:
        return big(self.row.plays)

    @strawberry.field(description="Likes; null when hidden by the owner.")
    def likes(self) -> BigInt | None:
        return big(self.row.likes)

    @strawberry.field(description="Comments.")
    def comments(self) -> BigInt | None:
        return big(self.row.comments)

    @strawberry.field(description="Shares; Instagram reports them only through owner insights.")
    def shares(self) -> BigInt | None:
        return big(self.row.shares)

    @strawberry.field(
        description="Saves. Instagram only, from owner insights; always null on TikTok."
    )
    def saved_count(self) -> BigInt | None:
        return big(self.row.saves)

    @strawberry.field(
        description="(likes + comments + shares) / views × 100 at the latest values; null when "
        "views is unknown or 0."
    )
    def engagement_rate(self) -> float | None:
        row = self.row
        return engagement_rate(row.views, row.likes, row.comments, row.shares)

    @strawberry.field(description="Availability learned by the last refresh.")
    def availability(self) -> Availability:
        return self.row.availability

    @strawberry.field(description="Message of the last refresh error.")
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="When the last refresh error happened.")
    def last_error_time(self) -> datetime | None:
        return self.row.last_error_at

    @strawberry.field(description="When the first refresh completed; null until then.")
    def first_scrape_time(self) -> datetime | None:
        return self.row.first_scrape_at

    @strawberry.field(description="When the last refresh completed; null until the first one.")
    def last_scrape_time(self) -> datetime | None:
        return self.row.last_scrape_at

    @strawberry.field(description="When the next scheduled refresh is due.")
    def next_scrape_time(self) -> datetime | None:
        return self.row.next_scrape_at

    @strawberry.field(description=METRICS_DESCRIPTION)
    @fast_resolver
    def metrics(self, info: Info, window: WindowArg) -> VideoMetrics:
        return video_metrics(info, (ScopeKind.VIDEO, self.row.id), window)  # type: ignore[return-value]

    @strawberry.field(description=SERIES_DESCRIPTION)
    @fast_resolver
    def series(self, info: Info, window: WindowArg) -> VideoSeries:
        return video_series(info, (ScopeKind.VIDEO, self.row.id), window)  # type: ignore[return-value]

    @strawberry.field(description=COMPARISON_DESCRIPTION)
    @fast_resolver
    def comparison(self, info: Info, window: WindowArg) -> VideoComparison:
        return video_comparison(info, (ScopeKind.VIDEO, self.row.id), window)  # type: ignore[return-value]


@strawberry.type(description="A post discovered automatically from a tracked account's feed.")
class AccountVideo(Video):
    """The account-video role of a post."""

    @classmethod
    def from_row(cls, row: models.Video) -> AccountVideo:
        """Expose an ORM row in its account-video role."""
        return cls(id=strawberry.ID(encode_id("AccountVideo", row.id)), row=row)

    @strawberry.field(description="When the post was discovered in the account's feed.")
    def added_at(self) -> datetime:
        return self.row.discovered_at or self.row.added_at

    @strawberry.field(description="The tracked account whose feed holds the post.")
    async def account(self, info: Info) -> AccountRef:
        from app.graphql.types.account import Account

        assert self.row.account_id is not None
        row = await info.context.loaders.account_by_id.load(self.row.account_id)
        assert row is not None  # the foreign key keeps it
        return Account.from_row(row)

    @strawberry.field(
        description="The same post in its individual-video role, when it was also added by hand."
    )
    def as_individual_video(self) -> IndividualVideo | None:
        return IndividualVideo.from_row(self.row) if self.row.is_individual else None


@strawberry.type(description="A post added by URL, shortcode or id, whoever its author is.")
class IndividualVideo(Video):
    """The individual-video role of a post."""

    @classmethod
    def from_row(cls, row: models.Video) -> IndividualVideo:
        """Expose an ORM row in its individual-video role."""
        return cls(id=strawberry.ID(encode_id("IndividualVideo", row.id)), row=row)

    @strawberry.field(description="When the post was added by hand.")
    def added_at(self) -> datetime:
        return self.row.individual_added_at or self.row.added_at

    @strawberry.field(description="Hours between scheduled refreshes, 1–168 (default 24).")
    def scrape_interval_hours(self) -> int:
        return self.row.scrape_interval_hours

    @strawberry.field(description="The author's account when the organization tracks it.")
    async def account(self, info: Info) -> AccountRef | None:
        from app.graphql.types.account import Account

        if self.row.account_id is None:
            return None
        row = await info.context.loaders.account_by_id.load(self.row.account_id)
        return Account.from_row(row) if row is not None else None

    @strawberry.field(
        description="The same post in its account-video role, when a tracked account's feed "
        "holds it."
    )
    def as_account_video(self) -> AccountVideo | None:
        return AccountVideo.from_row(self.row) if self.row.account_id is not None else None
