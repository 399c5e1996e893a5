"""Resolving Relay global ids to objects of the caller's organization."""

from __future__ import annotations

from app.graphql.context import Info
from app.graphql.ids import decode_id
from app.graphql.types.account import Account
from app.graphql.types.common import Node
from app.graphql.types.creator import Creator
from app.graphql.types.organization import ApiKey, Organization
from app.graphql.types.video import AccountVideo, IndividualVideo
from app.models import Scope


async def resolve_node(info: Info, global_id: str) -> Node | None:
    """The object behind `global_id`, or None when it is malformed, missing or foreign."""
    decoded = decode_id(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    ctx = info.context
    loaders = ctx.loaders
    if type_name == "Organization":
        return Organization.from_row(ctx.organization) if pk == ctx.organization.id else None
    if type_name == "ApiKey":
        # Keys are the caller's own business only: other keys need ADMIN.
        if pk == ctx.api_key.id:
            return ApiKey.from_row(ctx.api_key)
        if ctx.api_key.scope < Scope.ADMIN:
            return None
        row = await ctx.tenant.api_keys().filter(id=pk).first()
        return ApiKey.from_row(row) if row is not None else None
    if type_name == "Account":
        account = await loaders.account_by_id.load(pk)
        return Account.from_row(account) if account is not None else None
    if type_name == "Creator":
        creator = await loaders.creator_by_id.load(pk)
        return Creator.from_row(creator) if creator is not None else None
    video = await loaders.video_by_id.load(pk)
    if video is None:
        return None
    if type_name == "AccountVideo":
        return AccountVideo.from_row(video) if video.account_id is not None else None
    return IndividualVideo.from_row(video) if video.is_individual else None
