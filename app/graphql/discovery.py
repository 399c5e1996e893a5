"""Search and the creator leaderboard."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app import models
from app.graphql.context import Info
from app.graphql.errors import BadUserInput
from app.graphql.text_match import any_of
from app.graphql.types.account import Account
from app.graphql.types.common import Platform
from app.graphql.types.creator import Creator
from app.graphql.types.metric_fields import WindowArg
from app.graphql.types.scalars import BigInt
from app.graphql.types.video import AccountVideo, IndividualVideo, Video
from app.graphql.types.windows import DateWindow, resolve_window
from app.metrics.compute import WindowValues
from app.metrics.windows import Window
from app.models import ScopeKind

MAX_SEARCH_LIMIT = 25
MAX_LEADERBOARD = 25
DEFAULT_MIN_VIEWS = BigInt(1000)
M = TypeVar("M", bound=Model)


@strawberry.type(
    description="Search results by section; exact matches first, then prefix, then substring."
)
class SearchResults:
    """What matched a search text."""

    accounts: list[Account] = strawberry.field(description="Accounts by handle or display name.")
    creators: list[Creator] = strawberry.field(description="Creators by name.")
    videos: list[Video] = strawberry.field(
        description="Videos by id or shortcode (exact), caption or author handle."
    )


async def _ranked(stages: list[Callable[[], QuerySet[M]]], limit: int) -> list[M]:
    """Run exact, prefix and substring queries in turn until `limit` distinct rows are found."""
    found: dict[int, M] = {}
    for stage in stages:
        if len(found) >= limit:
            break
        for row in await stage().limit(limit):
            found.setdefault(row.pk, row)
    return list(found.values())[:limit]


def _video_node(row: models.Video) -> Video:
    return (
        AccountVideo.from_row(row) if row.account_id is not None else IndividualVideo.from_row(row)
    )


@strawberry.enum(description="What the creator leaderboard ranks by.")
class LeaderboardMetric(Enum):
    """Leaderboard metrics."""

    VIEWS = strawberry.enum_value("VIEWS", description="Views gained in the window.")
    LIKES = strawberry.enum_value("LIKES", description="Likes gained in the window.")
    COMMENTS = strawberry.enum_value("COMMENTS", description="Comments gained in the window.")
    SHARES = strawberry.enum_value("SHARES", description="Shares gained in the window.")
    ENGAGEMENT_RATE = strawberry.enum_value(
        "ENGAGEMENT_RATE",
        description="Engagement rate of the window's gains; only creators with at least "
        "`minViews` views in the window are ranked.",
    )
    FOLLOWERS_CHANGE = strawberry.enum_value(
        "FOLLOWERS_CHANGE", description="Followers gained in the window."
    )
    FOLLOWERS = strawberry.enum_value("FOLLOWERS", description="Followers at the window's end.")


_METRIC_ATTRIBUTE = {
    LeaderboardMetric.VIEWS: "views",
    LeaderboardMetric.LIKES: "likes",
    LeaderboardMetric.COMMENTS: "comments",
    LeaderboardMetric.SHARES: "shares",
    LeaderboardMetric.ENGAGEMENT_RATE: "engagement_rate",
    LeaderboardMetric.FOLLOWERS_CHANGE: "followers_change",
    LeaderboardMetric.FOLLOWERS: "followers",
}


@strawberry.type(description="One row of the creator leaderboard.")
class LeaderboardEntry:
    """A ranked creator."""

    rank: int = strawberry.field(description="1-based rank in the window.")
    creator: Creator = strawberry.field(description="The creator.")
    value: float = strawberry.field(description="The metric's value in the window.")
    previous_rank: int | None = strawberry.field(
        description="Rank in the previous window of the same length; null when not ranked then."
    )
    previous_value: float | None = strawberry.field(
        description="The metric's value in the previous window."
    )
    window: DateWindow = strawberry.field(description="The resolved window.")
    previous_window: DateWindow = strawberry.field(
        description="The previous window of the same length that previousRank refers to."
    )


@dataclass(frozen=True, slots=True)
class _Scored:
    creator: models.Creator
    value: float


def _rank(
    creators: list[models.Creator],
    values: list[WindowValues],
    metric: LeaderboardMetric,
    min_views: int,
) -> list[_Scored]:
    scored = []
    for creator, window_values in zip(creators, values, strict=True):
        value = getattr(window_values, _METRIC_ATTRIBUTE[metric])
        if value is None:
            continue
        if metric is LeaderboardMetric.ENGAGEMENT_RATE and (window_values.views or 0) < min_views:
            continue
        scored.append(_Scored(creator, float(value)))
    scored.sort(key=lambda s: (-s.value, s.creator.name, s.creator.id))
    return scored


@strawberry.type
class DiscoveryQueries:
    """Search and leaderboard."""

    @strawberry.field(
        description="Accounts, creators and videos matching a text, `limit` (1–25, default 10) "
        "per section: exact matches before prefix matches before substring matches."
    )
    async def search(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="Text to look for (1–200 chars).")],
        platform: Annotated[
            Platform | None, strawberry.argument(description="Only accounts/videos on it.")
        ] = None,
        limit: Annotated[int, strawberry.argument(description="Results per section, 1–25.")] = 10,
    ) -> SearchResults:
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise BadUserInput(f"`limit` must be between 1 and {MAX_SEARCH_LIMIT}", field="limit")
        text = query.strip()
        if not 1 <= len(text) <= 200:
            raise BadUserInput("`query` must hold 1 to 200 characters", field="query")
        handle = text.removeprefix("@").lower()
        tenant = info.context.tenant

        def accounts() -> QuerySet[models.Account]:
            qs = tenant.accounts()
            return qs.filter(platform=platform) if platform is not None else qs

        def videos() -> QuerySet[models.Video]:
            qs = tenant.videos().filter(Q(account_id__isnull=False) | Q(is_individual=True))
            return qs.filter(platform=platform) if platform is not None else qs

        account_rows, creator_rows, video_rows = await asyncio.gather(
            _ranked(
                [
                    lambda: accounts().filter(
                        any_of(models.Account, handle=handle, display_name__iexact=text)
                    ),
                    lambda: accounts().filter(
                        any_of(
                            models.Account,
                            handle__startswith=handle,
                            display_name__istartswith=text,
                        )
                    ),
                    lambda: accounts().filter(
                        any_of(
                            models.Account, handle__contains=handle, display_name__icontains=text
                        )
                    ),
                ],
                limit,
            ),
            _ranked(
                [
                    lambda: tenant.creators().filter(any_of(models.Creator, name__iexact=text)),
                    lambda: tenant.creators().filter(
                        any_of(models.Creator, name__istartswith=text)
                    ),
                    lambda: tenant.creators().filter(name__icontains=text),
                ],
                limit,
            ),
            _ranked(
                [
                    lambda: videos().filter(
                        any_of(
                            models.Video,
                            platform_video_id=text,
                            shortcode=text,
                            author_handle=handle,
                        )
                    ),
                    lambda: videos().filter(
                        any_of(
                            models.Video,
                            caption__istartswith=text,
                            author_handle__startswith=handle,
                        )
                    ),
                    lambda: videos().filter(
                        any_of(
                            models.Video, caption__icontains=text, author_handle__contains=handle
                        )
                    ),
                ],
                limit,
            ),
        )
        return SearchResults(
            accounts=[Account.from_row(r) for r in account_rows],
            creators=[Creator.from_row(r) for r in creator_rows],
            videos=[_video_node(r) for r in video_rows],
        )

    @strawberry.field(
        description="Creators ranked by a windowed metric (their accounts' values summed), best "
        "first, with their rank in the previous window of the same length. Ties break on the "
        "creator name, then its id; creators with no value are not ranked."
    )
    async def top_creators(
        self,
        info: Info,
        window: WindowArg,
        metric: Annotated[
            LeaderboardMetric, strawberry.argument(description="Ranking metric; VIEWS by default.")
        ] = LeaderboardMetric.VIEWS,
        platform: Annotated[
            Platform | None,
            strawberry.argument(description="Count only the creators' accounts on this platform."),
        ] = None,
        limit: Annotated[int, strawberry.argument(description="Entries, 1–25.")] = 10,
        min_views: Annotated[
            BigInt,
            strawberry.argument(description="ENGAGEMENT_RATE only: minimum views in the window."),
        ] = DEFAULT_MIN_VIEWS,
    ) -> list[LeaderboardEntry]:
        if not 1 <= limit <= MAX_LEADERBOARD:
            raise BadUserInput(f"`limit` must be between 1 and {MAX_LEADERBOARD}", field="limit")
        resolved = resolve_window(window)
        previous = resolved.previous()
        tenant = info.context.tenant
        creators = await tenant.creators().order_by("id")
        members: dict[int, list[int]] = defaultdict(list)
        memberships = tenant.memberships()
        if platform is not None:
            memberships = memberships.filter(account__platform=platform)
        for creator_id, account_id in await memberships.values_list("creator_id", "account_id"):
            members[creator_id].append(account_id)
        loaders = info.context.loaders.metrics

        async def values_in(target: Window) -> list[WindowValues]:
            return list(
                await asyncio.gather(
                    *(
                        loaders.windows(
                            [(ScopeKind.ACCOUNT, a) for a in sorted(members[c.id])], target
                        )
                        for c in creators
                    )
                )
            )

        current_values, previous_values = await asyncio.gather(
            values_in(resolved), values_in(previous)
        )
        current = _rank(creators, current_values, metric, min_views)
        before = _rank(creators, previous_values, metric, min_views)
        previous_rank = {s.creator.id: (i + 1, s.value) for i, s in enumerate(before)}
        info.context.loaders.prime_creators(creators)
        shown, shown_previous = DateWindow.of(resolved), DateWindow.of(previous)
        return [
            LeaderboardEntry(
                rank=index + 1,
                creator=Creator.from_row(s.creator),
                value=s.value,
                previous_rank=previous_rank.get(s.creator.id, (None, None))[0],
                previous_value=previous_rank.get(s.creator.id, (None, None))[1],
                window=shown,
                previous_window=shown_previous,
            )
            for index, s in enumerate(current[:limit])
        ]
