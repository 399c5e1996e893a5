"""The result of parsing a platform URL."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.errors import BadUserInput
from app.graphql.types.common import Platform
from app.identifiers import IdentifierError, UrlKind, parse_url

strawberry.enum(
    UrlKind,
    name="UrlKind",
    description="What a URL points at: a POST, a PROFILE, or a SHORT_LINK whose target is only "
    "known after following its redirect.",
)


@strawberry.type(description="What a platform URL identifies.")
class ResolvedUrl:
    """A parsed Instagram or TikTok URL."""

    platform: Platform = strawberry.field(description="The platform.")
    kind: UrlKind = strawberry.field(description="Post, profile or short link.")
    canonical_url: str = strawberry.field(
        description="The URL in canonical form, without tracking parameters."
    )
    shortcode: str | None = strawberry.field(description="Instagram shortcode of a post.")
    video_id: str | None = strawberry.field(
        description="Numeric post id as a decimal string (Instagram media pk, TikTok video id)."
    )
    handle: str | None = strawberry.field(description="Handle, where the URL contains one.")
    published_at: datetime | None = strawberry.field(
        description="Publish time derived from the id (approximate: ids record upload start)."
    )
    requires_resolution: bool = strawberry.field(
        description="True for short links: the post is known only after following the redirect."
    )


def resolve_url(url: str) -> ResolvedUrl:
    """Parse `url`, turning identifier errors into BAD_USER_INPUT."""
    try:
        parsed = parse_url(url)
    except IdentifierError as exc:
        raise BadUserInput(exc.message, field="url", reason=exc.code) from None
    return ResolvedUrl(
        platform=parsed.platform,
        kind=parsed.kind,
        canonical_url=parsed.canonical_url,
        shortcode=parsed.shortcode,
        video_id=parsed.media_id,
        handle=parsed.handle,
        published_at=parsed.published_at,
        requires_resolution=parsed.requires_resolution,
    )
