"""The GraphQL schema: the root types composed from their areas. `schema` is the one global."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionContext

from app.graphql.batch import BatchQueries
from app.graphql.discovery import DiscoveryQueries
from app.graphql.enum_docs import describe_enum_values
from app.graphql.execution import CachedNameConverter, FastExecutionContext
from app.graphql.mutations.accounts import AccountMutations
from app.graphql.mutations.api_keys import ApiKeyMutations
from app.graphql.mutations.creators import CreatorMutations
from app.graphql.mutations.persisted_only import PersistedOnlyMutations
from app.graphql.mutations.rate_limits import RateLimitMutations
from app.graphql.mutations.refresh import RefreshMutations
from app.graphql.mutations.videos import VideoMutations
from app.graphql.prepared import UsePreparedDocument
from app.graphql.queries import Query as CoreQuery
from app.graphql.types.account import Account
from app.graphql.types.creator import Creator
from app.graphql.types.organization import ApiKey, Organization
from app.graphql.types.rate_limit import RateLimitQueries
from app.graphql.types.scalars import SCALAR_MAP
from app.graphql.types.video import AccountVideo, IndividualVideo


@strawberry.type(description="Read operations. Every result is confined to the key's organization.")
class Query(CoreQuery, BatchQueries, DiscoveryQueries, RateLimitQueries):
    """The root query type."""


@strawberry.type(description="Write operations (scope WRITE, API keys ADMIN).")
class Mutation(
    AccountMutations,
    VideoMutations,
    CreatorMutations,
    ApiKeyMutations,
    RefreshMutations,
    RateLimitMutations,
    PersistedOnlyMutations,
):
    """The root mutation type."""


class Schema(strawberry.Schema):
    """Strawberry schema whose errors are logged by the HTTP layer, with the request id."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Account, AccountVideo, IndividualVideo, Creator, Organization, ApiKey],
    extensions=[UsePreparedDocument],
    config=StrawberryConfig(scalar_map=SCALAR_MAP, name_converter=CachedNameConverter()),
    execution_context_class=FastExecutionContext,
)
describe_enum_values(schema)
