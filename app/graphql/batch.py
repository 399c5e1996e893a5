"""Batch reads by id: metrics of many accounts or videos, and trailing view deltas."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.errors import BadUserInput
from app.graphql.ids import decode_id
from app.graphql.types.account import Account
from app.graphql.types.metric_fields import WindowArg, awaited, engagement_metrics, video_metrics
from app.graphql.types.metrics import EngagementMetrics, VideoMetrics
from app.graphql.types.scalars import BigInt
from app.graphql.types.video import AccountVideo, IndividualVideo, Video
from app.graphql.types.windows import DateWindow
from app.metrics.windows import today_utc, trailing_window
from app.models import ScopeKind

MAX_IDS = 200
MAX_LOOKBACKS = 10
MAX_LOOKBACK_DAYS = 365

Ids = Annotated[
    list[strawberry.ID],
    strawberry.argument(
        description="1–200 global ids; unknown, malformed or foreign ones are listed in `notFound`."
    ),
]


@strawberry.type(description="An account with its windowed metrics.")
class AccountMetricsItem:
    """One found account of a batch."""

    account: Account = strawberry.field(description="The account.")
    metrics: EngagementMetrics = strawberry.field(description="Its metrics over the window.")


@strawberry.type(description="Metrics of many accounts in one call.")
class AccountMetricsBatch:
    """Found accounts with metrics, and the ids that name no account of the organization."""

    items: list[AccountMetricsItem] = strawberry.field(
        description="One item per distinct found id, in the order given."
    )
    not_found: list[strawberry.ID] = strawberry.field(
        description="Ids that are unknown, malformed, of another type or of another organization."
    )


@strawberry.type(description="A video with its windowed metrics.")
class VideoMetricsItem:
    """One found video of a batch."""

    video: Video = strawberry.field(description="The video (account or individual video).")
    metrics: VideoMetrics = strawberry.field(description="Its metrics over the window.")


@strawberry.type(description="Metrics of many videos in one call.")
class VideoMetricsBatch:
    """Found videos with metrics, and the ids that name no video of the organization."""

    items: list[VideoMetricsItem] = strawberry.field(
        description="One item per distinct found id, in the order given."
    )
    not_found: list[strawberry.ID] = strawberry.field(
        description="Ids that are unknown, malformed, of another type or of another organization."
    )


@strawberry.type(description="Views gained over the last N days.")
class ViewsDelta:
    """One look-back length."""

    days: int = strawberry.field(description="N: the window is [today−N+1, today] (UTC).")
    window: DateWindow = strawberry.field(description="The resolved window.")
    views: BigInt | None = strawberry.field(
        description="Views gained in that window; null when nothing is known of it."
    )


@strawberry.type(description="A video's views gained over several look-back lengths.")
class VideoDeltasItem:
    """One found video with its deltas."""

    video: Video = strawberry.field(description="The video.")
    deltas: list[ViewsDelta] = strawberry.field(description="One entry per requested length.")


@strawberry.type(description="View deltas of many videos in one call.")
class VideoDeltasBatch:
    """Found videos with deltas, and the ids that name no video of the organization."""

    items: list[VideoDeltasItem] = strawberry.field(
        description="One item per distinct found id, in the order given."
    )
    not_found: list[strawberry.ID] = strawberry.field(
        description="Ids that are unknown, malformed, of another type or of another organization."
    )


def _check_ids(ids: Sequence[str]) -> list[str]:
    if not 1 <= len(ids) <= MAX_IDS:
        raise BadUserInput(f"`ids` must hold 1 to {MAX_IDS} ids, got {len(ids)}", field="ids")
    return list(dict.fromkeys(ids))


async def _videos(info: Info, ids: Sequence[str]) -> tuple[list[Video], list[strawberry.ID]]:
    """The videos named by ids (in their role), and the ids that name none."""
    decoded = [(gid, decode_id(gid)) for gid in ids]
    pks = [
        d[1] for _, d in decoded if d is not None and d[0] in ("AccountVideo", "IndividualVideo")
    ]
    rows = await info.context.loaders.video_by_id.load_many(pks)
    by_pk = {row.id: row for row in rows if row is not None}
    found: list[Video] = []
    missing: list[strawberry.ID] = []
    for gid, d in decoded:
        row = by_pk.get(d[1]) if d is not None else None
        if row is not None and d is not None and d[0] == "AccountVideo" and row.account_id:
            found.append(AccountVideo.from_row(row))
        elif row is not None and d is not None and d[0] == "IndividualVideo" and row.is_individual:
            found.append(IndividualVideo.from_row(row))
        else:
            missing.append(strawberry.ID(gid))
    return found, missing


def _row(video: Video) -> models.Video:
    return video.row


@strawberry.type
class BatchQueries:
    """Batch metric reads."""

    @strawberry.field(description="Windowed metrics of up to 200 accounts.")
    async def account_metrics(self, info: Info, ids: Ids, window: WindowArg) -> AccountMetricsBatch:
        unique = _check_ids(ids)
        decoded = [(gid, decode_id(gid)) for gid in unique]
        pks = [d[1] for _, d in decoded if d is not None and d[0] == "Account"]
        rows = await info.context.loaders.account_by_id.load_many(pks)
        by_pk = {row.id: row for row in rows if row is not None}
        accounts: list[models.Account] = []
        missing: list[strawberry.ID] = []
        for gid, d in decoded:
            row = by_pk.get(d[1]) if d is not None and d[0] == "Account" else None
            if row is None:
                missing.append(strawberry.ID(gid))
            else:
                accounts.append(row)
        metrics = await asyncio.gather(
            *(
                awaited(engagement_metrics(info, [(ScopeKind.ACCOUNT, a.id)], window))
                for a in accounts
            )
        )
        return AccountMetricsBatch(
            items=[
                AccountMetricsItem(account=Account.from_row(a), metrics=m)
                for a, m in zip(accounts, metrics, strict=True)
            ],
            not_found=missing,
        )

    @strawberry.field(description="Windowed metrics of up to 200 account or individual videos.")
    async def video_metrics(self, info: Info, ids: Ids, window: WindowArg) -> VideoMetricsBatch:
        videos, missing = await _videos(info, _check_ids(ids))
        pending_videos = [
            video_metrics(info, (ScopeKind.VIDEO, _row(v).id), window) for v in videos
        ]
        metrics_of_videos = [await awaited(item) for item in pending_videos]
        return VideoMetricsBatch(
            items=[
                VideoMetricsItem(video=v, metrics=m)
                for v, m in zip(videos, metrics_of_videos, strict=True)
            ],
            not_found=missing,
        )

    @strawberry.field(
        description="Views gained in the last N days for up to 200 videos and 1–10 lengths "
        'N of 1–365 days: "views in the last 1/7/30 days" in one call.'
    )
    async def video_deltas(
        self,
        info: Info,
        ids: Ids,
        days: Annotated[
            list[int], strawberry.argument(description="1–10 look-back lengths, each 1–365.")
        ],
    ) -> VideoDeltasBatch:
        unique = _check_ids(ids)
        if not 1 <= len(days) <= MAX_LOOKBACKS:
            raise BadUserInput(f"`days` must hold 1 to {MAX_LOOKBACKS} lengths", field="days")
        if any(not 1 <= n <= MAX_LOOKBACK_DAYS for n in days):
            raise BadUserInput(
                f"every length in `days` must be between 1 and {MAX_LOOKBACK_DAYS}", field="days"
            )
        videos, missing = await _videos(info, unique)
        today = today_utc()
        loaders = info.context.loaders.metrics

        async def deltas(video: Video) -> list[ViewsDelta]:
            values = await asyncio.gather(
                *(
                    loaders.windows([(ScopeKind.VIDEO, _row(video).id)], trailing_window(n, today))
                    for n in days
                )
            )
            return [
                ViewsDelta(
                    days=n,
                    window=DateWindow.of(v.window),
                    views=v.views,  # type: ignore[arg-type]
                )
                for n, v in zip(days, values, strict=True)
            ]

        computed = await asyncio.gather(*(deltas(v) for v in videos))
        return VideoDeltasBatch(
            items=[
                VideoDeltasItem(video=v, deltas=d) for v, d in zip(videos, computed, strict=True)
            ],
            not_found=missing,
        )
