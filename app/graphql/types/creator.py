"""The Creator type: a named group of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.ids import encode_id
from app.graphql.pagination import (
    DEFAULT_PAGE_SIZE,
    binding_of,
    build_connection,
    page_args,
    page_in_memory,
)
from app.graphql.types.arguments import (
    After,
    First,
)
from app.graphql.types.common import Connection, Node, Platform
from app.graphql.types.metric_fields import (
    COMPARISON_DESCRIPTION,
    METRICS_DESCRIPTION,
    SERIES_DESCRIPTION,
    WindowArg,
    awaited,
    engagement_comparison,
    engagement_metrics,
    engagement_series,
    prefetch,
)
from app.graphql.types.metrics import EngagementComparison, EngagementMetrics, EngagementSeries
from app.graphql.types.ordering import (
    ACCOUNT_SORT_KEYS,
    DEFAULT_ACCOUNT_ORDER,
    AccountOrder,
)
from app.metrics.reader import ScopeKey
from app.models import ScopeKind

if TYPE_CHECKING:
    from app.graphql.types.account import Account

AccountRef = Annotated["Account", strawberry.lazy("app.graphql.types.account")]


@strawberry.type(
    description="A person or brand analysed as one: a group of accounts, possibly on both "
    "platforms."
)
class Creator(Node):
    """A creator and its member accounts."""

    row: strawberry.Private[models.Creator]

    @classmethod
    def from_row(cls, row: models.Creator) -> Creator:
        """Expose an ORM row."""
        return cls(id=strawberry.ID(encode_id("Creator", row.id)), row=row)

    @strawberry.field(description="Name, unique within the organization.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Free-form description.")
    def description(self) -> str | None:
        return self.row.description

    @strawberry.field(description="When the creator was created.")
    def added_at(self) -> datetime:
        return self.row.added_at

    @strawberry.field(description="When the creator was last changed.")
    def updated_at(self) -> datetime:
        return self.row.updated_at

    async def _scopes(self, info: Info) -> list[ScopeKey]:
        ids = await info.context.loaders.account_ids_by_creator_id.load(self.row.id)
        return [(ScopeKind.ACCOUNT, account_id) for account_id in sorted(ids)]

    @strawberry.field(description=METRICS_DESCRIPTION)
    async def metrics(self, info: Info, window: WindowArg) -> EngagementMetrics:
        return await awaited(engagement_metrics(info, await self._scopes(info), window))

    @strawberry.field(description=SERIES_DESCRIPTION)
    async def series(self, info: Info, window: WindowArg) -> EngagementSeries:
        return await awaited(engagement_series(info, await self._scopes(info), window))

    @strawberry.field(description=COMPARISON_DESCRIPTION)
    async def comparison(self, info: Info, window: WindowArg) -> EngagementComparison:
        return await awaited(engagement_comparison(info, await self._scopes(info), window))

    @strawberry.field(description="The member accounts.")
    async def accounts(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        platform: Annotated[
            Platform | None, strawberry.argument(description="Only accounts on this platform.")
        ] = None,
        order_by: Annotated[
            AccountOrder | None, strawberry.argument(description="Sort order.")
        ] = None,
    ) -> Connection[AccountRef]:
        from app.graphql.types.account import Account

        order = order_by or DEFAULT_ACCOUNT_ORDER
        args = page_args(
            first,
            after,
            binding=binding_of(
                "Creator.accounts", parent=self.row.id, order=order, platform=platform
            ),
            key=ACCOUNT_SORT_KEYS[order.field],
            direction=order.direction,
        )
        loaders = info.context.loaders
        ids = await loaders.account_ids_by_creator_id.load(self.row.id)
        rows = [
            row
            for row in await loaders.account_by_id.load_many(ids)
            if row is not None and (platform is None or row.platform == platform)
        ]
        page, has_next = page_in_memory(rows, args)
        await prefetch(info, [((ScopeKind.ACCOUNT, row.id),) for row in page], video=False)

        async def count() -> int:
            return len(rows)

        return build_connection(page, has_next, args, Account.from_row, count)
