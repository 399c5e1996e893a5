"""The root Query: viewer, nodes, connections and URL resolution."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import strawberry
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app import models
from app.graphql.context import Info
from app.graphql.errors import BadUserInput
from app.graphql.ids import decode_id_of
from app.graphql.loaders import VideoFilters, filter_videos
from app.graphql.nodes import resolve_node
from app.graphql.pagination import (
    DEFAULT_PAGE_SIZE,
    SortKey,
    binding_of,
    build_connection,
    fetch_page,
    page_args,
)
from app.graphql.text_match import any_of
from app.graphql.types.account import Account
from app.graphql.types.arguments import (
    After,
    AvailabilityArg,
    First,
    PlatformArg,
    PublishedAfter,
    PublishedBefore,
    TextArg,
    video_filters,
)
from app.graphql.types.common import Connection, Node, Platform
from app.graphql.types.creator import Creator
from app.graphql.types.metric_fields import prefetch
from app.graphql.types.ordering import (
    ACCOUNT_SORT_KEYS,
    ACCOUNT_VIDEO_SORT_KEYS,
    CREATOR_SORT_KEYS,
    DEFAULT_ACCOUNT_ORDER,
    DEFAULT_CREATOR_ORDER,
    DEFAULT_VIDEO_ORDER,
    INDIVIDUAL_VIDEO_SORT_KEYS,
    AccountOrder,
    CreatorOrder,
    VideoOrder,
    VideoOrderField,
)
from app.graphql.types.organization import ApiKey, Organization, Viewer
from app.graphql.types.resolved_url import ResolvedUrl, resolve_url
from app.graphql.types.video import AccountVideo, IndividualVideo
from app.models import ScopeKind

MAX_NODES = 200
MAX_QUERY_LENGTH = 200


def _text(query: str | None) -> str | None:
    if query is None:
        return None
    text = query.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadUserInput(f"`query` is limited to {MAX_QUERY_LENGTH} characters", field="query")
    return text or None


def _filter_id(global_id: str | None, type_name: str, field: str) -> int | None:
    if global_id is None:
        return None
    pk = decode_id_of(global_id, type_name)
    if pk is None:
        raise BadUserInput(f"`{field}` is not a {type_name} id", field=field)
    return pk


VideoOrderArg = Annotated[
    VideoOrder | None,
    strawberry.argument(description="Sort order; newest published first by default."),
]
N = TypeVar("N")


@dataclass(frozen=True, slots=True)
class VideoListRequest:
    """The arguments shared by the two root video connections."""

    first: int | None
    after: str | None
    platform: Platform | None
    query: str | None
    account_id: str | None
    creator_id: str | None
    filters: VideoFilters
    order_by: VideoOrder | None


async def _video_connection(
    info: Info,
    name: str,
    base: QuerySet[models.Video],
    sort_keys: dict[VideoOrderField, SortKey],
    to_node: Callable[[models.Video], N],
    request: VideoListRequest,
) -> Connection[N]:
    ctx = info.context
    order = request.order_by or DEFAULT_VIDEO_ORDER
    text = _text(request.query)
    account_pk = _filter_id(request.account_id, "Account", "accountId")
    creator_pk = _filter_id(request.creator_id, "Creator", "creatorId")
    qs = filter_videos(base, request.filters)
    if request.platform is not None:
        qs = qs.filter(platform=request.platform)
    if text is not None:
        qs = qs.filter(
            any_of(
                models.Video,
                caption__icontains=text,
                author_handle__icontains=text,
                shortcode=text,
                platform_video_id=text,
            )
        )
    if account_pk is not None:
        qs = qs.filter(account_id=account_pk)
    if creator_pk is not None:
        members = ctx.tenant.memberships().filter(creator_id=creator_pk).values("account_id")
        qs = qs.filter(account_id__in=Subquery(members))
    args = page_args(
        request.first,
        request.after,
        binding=binding_of(
            name,
            platform=request.platform,
            query=text,
            account=account_pk,
            creator=creator_pk,
            f=request.filters,
            order=order,
        ),
        key=sort_keys[order.field],
        direction=order.direction,
    )
    rows, has_next = await fetch_page(qs, args)
    ctx.loaders.prime_videos(rows)
    await prefetch(info, [((ScopeKind.VIDEO, row.id),) for row in rows], video=True)
    return build_connection(rows, has_next, args, to_node, qs.count)


@strawberry.type(description="Read operations. Every result is confined to the key's organization.")
class Query:
    """The root query type."""

    @strawberry.field(description="Who is calling: the organization and the API key in use.")
    def viewer(self, info: Info) -> Viewer:
        ctx = info.context
        return Viewer(
            organization=Organization.from_row(ctx.organization),
            api_key=ApiKey.from_row(ctx.api_key),
        )

    @strawberry.field(
        description="The caller's organization (the same as viewer.organization), with its "
        "organization-wide metrics."
    )
    def organization(self, info: Info) -> Organization:
        return Organization.from_row(info.context.organization)

    @strawberry.field(
        description="The object with this global id; null when it does not exist or belongs to "
        "another organization."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description="The objects with these global ids (1–200), in order; null for each id "
        "that does not exist or belongs to another organization."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[Node | None]:
        if not 1 <= len(ids) <= MAX_NODES:
            raise BadUserInput(f"`ids` must hold 1 to {MAX_NODES} ids", field="ids")
        return list(await asyncio.gather(*(resolve_node(info, gid) for gid in ids)))

    @strawberry.field(description="Tracked accounts.")
    async def accounts(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        platform: PlatformArg = None,
        query: TextArg = None,
        is_verified: Annotated[
            bool | None, strawberry.argument(description="Only (un)verified accounts.")
        ] = None,
        creator_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only members of this creator.")
        ] = None,
        availability: AvailabilityArg = None,
        order_by: Annotated[
            AccountOrder | None,
            strawberry.argument(description="Sort order; most recently added first by default."),
        ] = None,
    ) -> Connection[Account]:
        ctx = info.context
        order = order_by or DEFAULT_ACCOUNT_ORDER
        text = _text(query)
        creator_pk = _filter_id(creator_id, "Creator", "creatorId")
        args = page_args(
            first,
            after,
            binding=binding_of(
                "accounts",
                platform=platform,
                query=text,
                verified=is_verified,
                creator=creator_pk,
                availability=availability,
                order=order,
            ),
            key=ACCOUNT_SORT_KEYS[order.field],
            direction=order.direction,
        )
        qs = ctx.tenant.accounts()
        if platform is not None:
            qs = qs.filter(platform=platform)
        if text is not None:
            qs = qs.filter(Q(handle__icontains=text) | Q(display_name__icontains=text))
        if is_verified is not None:
            qs = qs.filter(is_verified=is_verified)
        if availability is not None:
            qs = qs.filter(availability=availability)
        if creator_pk is not None:
            members = ctx.tenant.memberships().filter(creator_id=creator_pk).values("account_id")
            qs = qs.filter(id__in=Subquery(members))
        rows, has_next = await fetch_page(qs, args)
        ctx.loaders.prime_accounts(rows)
        await prefetch(info, [((ScopeKind.ACCOUNT, row.id),) for row in rows], video=False)
        return build_connection(rows, has_next, args, Account.from_row, qs.count)

    @strawberry.field(description="Videos discovered from tracked accounts' feeds.")
    async def account_videos(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        platform: PlatformArg = None,
        query: TextArg = None,
        account_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this account's videos.")
        ] = None,
        creator_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only videos of this creator's accounts."),
        ] = None,
        published_after: PublishedAfter = None,
        published_before: PublishedBefore = None,
        availability: AvailabilityArg = None,
        order_by: VideoOrderArg = None,
    ) -> Connection[AccountVideo]:
        request = VideoListRequest(
            first,
            after,
            platform,
            query,
            account_id,
            creator_id,
            video_filters(published_after, published_before, availability),
            order_by,
        )
        return await _video_connection(
            info,
            "accountVideos",
            info.context.tenant.account_videos(),
            ACCOUNT_VIDEO_SORT_KEYS,
            AccountVideo.from_row,
            request,
        )

    @strawberry.field(description="Videos added by hand (by URL, shortcode or id).")
    async def individual_videos(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        platform: PlatformArg = None,
        query: TextArg = None,
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only videos whose author is this tracked account."),
        ] = None,
        creator_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only videos authored by this creator's accounts."),
        ] = None,
        published_after: PublishedAfter = None,
        published_before: PublishedBefore = None,
        availability: AvailabilityArg = None,
        order_by: VideoOrderArg = None,
    ) -> Connection[IndividualVideo]:
        request = VideoListRequest(
            first,
            after,
            platform,
            query,
            account_id,
            creator_id,
            video_filters(published_after, published_before, availability),
            order_by,
        )
        return await _video_connection(
            info,
            "individualVideos",
            info.context.tenant.individual_videos(),
            INDIVIDUAL_VIDEO_SORT_KEYS,
            IndividualVideo.from_row,
            request,
        )

    @strawberry.field(description="Creators (groups of accounts).")
    async def creators(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        platform: Annotated[
            Platform | None,
            strawberry.argument(description="Only creators with an account on this platform."),
        ] = None,
        query: Annotated[
            str | None, strawberry.argument(description="Case-insensitive text in the name.")
        ] = None,
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only creators this account belongs to."),
        ] = None,
        order_by: Annotated[
            CreatorOrder | None,
            strawberry.argument(description="Sort order; most recently added first by default."),
        ] = None,
    ) -> Connection[Creator]:
        ctx = info.context
        order = order_by or DEFAULT_CREATOR_ORDER
        text = _text(query)
        account_pk = _filter_id(account_id, "Account", "accountId")
        args = page_args(
            first,
            after,
            binding=binding_of(
                "creators", platform=platform, query=text, account=account_pk, order=order
            ),
            key=CREATOR_SORT_KEYS[order.field],
            direction=order.direction,
        )
        qs = ctx.tenant.creators()
        if text is not None:
            qs = qs.filter(name__icontains=text)
        if account_pk is not None:
            members = ctx.tenant.memberships().filter(account_id=account_pk).values("creator_id")
            qs = qs.filter(id__in=Subquery(members))
        if platform is not None:
            members = (
                ctx.tenant.memberships().filter(account__platform=platform).values("creator_id")
            )
            qs = qs.filter(id__in=Subquery(members))
        rows, has_next = await fetch_page(qs, args)
        ctx.loaders.prime_creators(rows)
        return build_connection(rows, has_next, args, Creator.from_row, qs.count)

    @strawberry.field(
        description="Parse any Instagram or TikTok post or profile URL: platform, kind, "
        "canonical URL, ids, handle and the publish time derivable from the id. Malformed or "
        "foreign URLs are a BAD_USER_INPUT error."
    )
    def resolve_url(
        self, url: Annotated[str, strawberry.argument(description="The URL to parse.")]
    ) -> ResolvedUrl:
        return resolve_url(url)
