"""The Organization (tenant), its API keys and the viewer."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app import models
from app.graphql.context import Info
from app.graphql.execution import fast_resolver
from app.graphql.ids import encode_id
from app.graphql.types.common import Node
from app.graphql.types.metric_fields import (
    COMPARISON_DESCRIPTION,
    METRICS_DESCRIPTION,
    SERIES_DESCRIPTION,
    WindowArg,
    engagement_comparison,
    engagement_metrics,
    engagement_series,
)
from app.graphql.types.metrics import EngagementComparison, EngagementMetrics, EngagementSeries
from app.graphql.types.rate_limit_policy import RateLimitPolicy
from app.models import Scope, ScopeKind
from app.services import rate_limit

ApiKeyScope = Scope
strawberry.enum(
    Scope,
    name="ApiKeyScope",
    description="API key scopes; ADMIN includes WRITE, which includes READ.",
)


@strawberry.type(description="The tenant: every other object belongs to one organization.")
class Organization(Node):
    """An organization."""

    row: strawberry.Private[models.Organization]

    @classmethod
    def from_row(cls, row: models.Organization) -> Organization:
        """Expose an ORM row."""
        return cls(id=strawberry.ID(encode_id("Organization", row.id)), row=row)

    @strawberry.field(description="Organization name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="When the organization was created.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="How many of an account's most recent posts a refresh discovers.")
    def max_recent_posts(self) -> int:
        return self.row.max_recent_posts

    @strawberry.field(description="How many days back a refresh discovers posts.")
    def lookback_days(self) -> int:
        return self.row.lookback_days

    @strawberry.field(
        description="Whether every API key of the organization may only run trusted (persisted) "
        "documents (setPersistedQueriesOnly)."
    )
    def persisted_queries_only(self) -> bool:
        return self.row.persisted_queries_only

    @strawberry.field(
        description="How many cost points each of the organization's API keys gets per window."
    )
    def rate_limit_policy(self, info: Info) -> RateLimitPolicy:
        return RateLimitPolicy.of(rate_limit.policy_of(self.row, info.context.settings))

    # Synchronous on purpose: a prefetched value comes back without a task; otherwise the
    # returned awaitable goes through the same batched loaders.
    @strawberry.field(description=METRICS_DESCRIPTION)
    @fast_resolver
    def metrics(self, info: Info, window: WindowArg) -> EngagementMetrics:
        return engagement_metrics(info, [(ScopeKind.ORGANIZATION, self.row.id)], window)  # type: ignore[return-value]

    @strawberry.field(description=SERIES_DESCRIPTION)
    @fast_resolver
    def series(self, info: Info, window: WindowArg) -> EngagementSeries:
        return engagement_series(info, [(ScopeKind.ORGANIZATION, self.row.id)], window)  # type: ignore[return-value]

    @strawberry.field(description=COMPARISON_DESCRIPTION)
    @fast_resolver
    def comparison(self, info: Info, window: WindowArg) -> EngagementComparison:
        return engagement_comparison(info, [(ScopeKind.ORGANIZATION, self.row.id)], window)  # type: ignore[return-value]


@strawberry.type(description="An API key. The secret itself is shown only once, at creation.")
class ApiKey(Node):
    """An API key's public facts."""

    row: strawberry.Private[models.ApiKey]

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKey:
        """Expose an ORM row."""
        return cls(id=strawberry.ID(encode_id("ApiKey", row.id)), row=row)

    @strawberry.field(description="Name given at creation.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The first characters of the key, to recognise it.")
    def prefix(self) -> str:
        return self.row.prefix

    @strawberry.field(description="Scopes granted, the highest first (ADMIN → ADMIN, WRITE, READ).")
    def scopes(self) -> list[ApiKeyScope]:
        return [s for s in sorted(Scope, reverse=True) if s <= self.row.scope]

    @strawberry.field(description="Whether the key may only run trusted (persisted) documents.")
    def persisted_queries_only(self) -> bool:
        return self.row.persisted_queries_only

    @strawberry.field(description="When the key was created.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="When the key was revoked; null while it is live.")
    def revoked_at(self) -> datetime | None:
        return self.row.revoked_at


@strawberry.type(description="Who is calling: the organization and the API key in use.")
class Viewer:
    """The caller."""

    organization: Organization = strawberry.field(description="The key's organization.")
    api_key: ApiKey = strawberry.field(description="The key used for this request.")
