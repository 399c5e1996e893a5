"""Per-request DataLoaders: every relation a resolver follows is batched through these."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from strawberry.dataloader import DataLoader
from tortoise.connection import get_connection
from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from app import models
from app.graphql.metric_loaders import MetricLoaders, forget
from app.graphql.pagination import PageArgs, apply_after, order_sql, sort_in_memory
from app.models import Availability
from app.services.tenancy import Tenant


@dataclass(frozen=True, slots=True)
class VideoFilters:
    """Filters of video connections that a nested `Account.videos` can also take."""

    published_after: datetime | None = None
    published_before: datetime | None = None
    availability: Availability | None = None


@dataclass(frozen=True, slots=True)
class AccountVideosKey:
    """One `Account.videos` page request."""

    account_id: int
    args: PageArgs
    filters: VideoFilters


class Loaders:
    """DataLoaders for one request, all confined to the request's organization."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.metrics = MetricLoaders(tenant.organization_id)
        self.account_by_id = DataLoader[int, models.Account | None](load_fn=self._accounts)
        self.video_by_id = DataLoader[int, models.Video | None](load_fn=self._videos)
        self.creator_by_id = DataLoader[int, models.Creator | None](load_fn=self._creators)
        self.creator_ids_by_account_id = DataLoader[int, list[int]](
            load_fn=self._creator_ids_by_account
        )
        self.account_ids_by_creator_id = DataLoader[int, list[int]](
            load_fn=self._account_ids_by_creator
        )
        self.videos_page_by_account = DataLoader[AccountVideosKey, tuple[list[models.Video], bool]](
            load_fn=self._videos_pages
        )
        self.video_count_by_account = DataLoader[tuple[int, VideoFilters], int](
            load_fn=self._video_counts
        )

    def release(self) -> None:
        """Drop everything the request loaded, once it has been answered.

        Each loader calls back into this object (bound methods), so loaders and this object
        form a cycle: without this, all they hold (rows, models, computed metrics) would stay
        until the cyclic collector walked it, which costs more than the request itself.
        """
        self.metrics.release()
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                forget(loader)

    def prime_accounts(self, rows: Iterable[models.Account]) -> None:
        """Seed the account cache with rows a connection already fetched."""
        for row in rows:
            self.account_by_id.prime(row.id, row)

    def prime_videos(self, rows: Iterable[models.Video]) -> None:
        """Seed the video cache with rows a connection already fetched."""
        for row in rows:
            self.video_by_id.prime(row.id, row)

    def prime_creators(self, rows: Iterable[models.Creator]) -> None:
        """Seed the creator cache with rows a connection already fetched."""
        for row in rows:
            self.creator_by_id.prime(row.id, row)

    async def _accounts(self, keys: list[int]) -> list[models.Account | None]:
        rows = {row.id: row for row in await self.tenant.accounts().filter(id__in=keys)}
        return [rows.get(key) for key in keys]

    async def _videos(self, keys: list[int]) -> list[models.Video | None]:
        rows = {row.id: row for row in await self.tenant.videos().filter(id__in=keys)}
        return [rows.get(key) for key in keys]

    async def _creators(self, keys: list[int]) -> list[models.Creator | None]:
        rows = {row.id: row for row in await self.tenant.creators().filter(id__in=keys)}
        return [rows.get(key) for key in keys]

    async def _creator_ids_by_account(self, keys: list[int]) -> list[list[int]]:
        pairs = (
            await self.tenant.memberships()
            .filter(account_id__in=keys)
            .values_list("account_id", "creator_id")
        )
        grouped: dict[int, list[int]] = defaultdict(list)
        for account_id, creator_id in pairs:
            grouped[account_id].append(creator_id)
        return [grouped.get(key, []) for key in keys]

    async def _account_ids_by_creator(self, keys: list[int]) -> list[list[int]]:
        pairs = (
            await self.tenant.memberships()
            .filter(creator_id__in=keys)
            .values_list("creator_id", "account_id")
        )
        grouped: dict[int, list[int]] = defaultdict(list)
        for creator_id, account_id in pairs:
            grouped[creator_id].append(account_id)
        return [grouped.get(key, []) for key in keys]

    async def _videos_pages(
        self, keys: list[AccountVideosKey]
    ) -> list[tuple[list[models.Video], bool]]:
        # One windowed query per distinct (page args, filters): ROW_NUMBER() per account keeps
        # the statement count independent of how many accounts the page holds.
        # The cursor binding differs per parent but does not change the SQL, so it is left out
        # of the grouping.
        groups: dict[tuple[PageArgs, VideoFilters], list[int]] = defaultdict(list)
        for key in keys:
            groups[(replace(key.args, binding=""), key.filters)].append(key.account_id)
        pages: dict[tuple[int, PageArgs, VideoFilters], tuple[list[models.Video], bool]] = {}
        for (args, filters), account_ids in groups.items():
            by_account = await self._windowed_videos(account_ids, args, filters)
            for account_id in account_ids:
                rows = by_account.get(account_id, [])
                pages[(account_id, args, filters)] = (rows[: args.first], len(rows) > args.first)
        return [pages[(key.account_id, replace(key.args, binding=""), key.filters)] for key in keys]

    async def _windowed_videos(
        self, account_ids: list[int], args: PageArgs, filters: VideoFilters
    ) -> dict[int, list[models.Video]]:
        table = models.Video._meta.db_table
        window = (
            f'ROW_NUMBER() OVER (PARTITION BY "{table}"."account_id" '
            f"ORDER BY {order_sql(table, args.key, args.descending)})"
        )
        inner = apply_after(
            filter_videos(self.tenant.videos().filter(account_id__in=account_ids), filters), args
        ).annotate(_rn=RawSQL(window))
        ranked = inner.values("id", "_rn")
        ranked._make_query()  # builds the pypika query so it can be nested in raw SQL
        inner_sql, params = ranked.query.get_parameterized_sql()
        sql = f'SELECT "id" FROM ({inner_sql}) AS "ranked" WHERE "_rn" <= {args.first + 1:d}'
        rows = await get_connection("default").execute_query_dict(sql, params)
        ids = [row["id"] for row in rows]
        videos = await models.Video.filter(id__in=ids) if ids else []
        self.prime_videos(videos)
        grouped: dict[int, list[models.Video]] = defaultdict(list)
        for video in videos:
            assert video.account_id is not None
            grouped[video.account_id].append(video)
        return {key: sort_in_memory(rows_, args) for key, rows_ in grouped.items()}

    async def _video_counts(self, keys: list[tuple[int, VideoFilters]]) -> list[int]:
        groups: dict[VideoFilters, list[int]] = defaultdict(list)
        for account_id, filters in keys:
            groups[filters].append(account_id)
        counts: dict[tuple[int, VideoFilters], int] = {}
        for filters, account_ids in groups.items():
            rows = (
                await filter_videos(
                    self.tenant.videos().filter(account_id__in=account_ids), filters
                )
                .annotate(n=Count("id"))
                .group_by("account_id")
                .values_list("account_id", "n")
            )
            found = dict(rows)
            for account_id in account_ids:
                counts[(account_id, filters)] = int(found.get(account_id, 0))
        return [counts[key] for key in keys]


def filter_videos(query: QuerySet[models.Video], filters: VideoFilters) -> QuerySet[models.Video]:
    """Apply the shared video filters to a query set."""
    if filters.published_after is not None:
        query = query.filter(published_at__gte=filters.published_after)
    if filters.published_before is not None:
        query = query.filter(published_at__lt=filters.published_before)
    if filters.availability is not None:
        query = query.filter(availability=filters.availability)
    return query
