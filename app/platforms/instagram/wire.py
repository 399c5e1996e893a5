"""Instagram Graph API wire values: media items, usage headers, loosely typed fields."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.identifiers import IdentifierError, Platform, UrlKind, parse_url
from app.platforms.errors import UpstreamError
from app.platforms.values import Post, upstream_count

__all__ = ["as_int", "as_str", "json_header", "media_post", "usage_percent"]

IG = Platform.INSTAGRAM


def media_post(item: Any, handle: str) -> Post:
    """One media item; the canonical `media_id` is the pk decoded from the permalink."""
    if not isinstance(item, dict):
        raise UpstreamError(IG, "media item is not an object", transient=False)
    try:
        parsed = parse_url(str(item.get("permalink")))
    except IdentifierError as error:
        raise UpstreamError(
            IG, f"media without a post permalink: {error}", transient=False
        ) from error
    if parsed.kind is not UrlKind.POST or parsed.media_id is None:
        raise UpstreamError(IG, "media permalink is not a post", transient=False)
    try:
        timestamp = as_str(item.get("timestamp"))
        published = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S%z") if timestamp else None
    except ValueError as error:
        raise UpstreamError(IG, f"bad media timestamp: {error}", transient=False) from error
    return Post(
        platform=IG,
        media_id=parsed.media_id,
        url=parsed.canonical_url,
        author_handle=handle,
        shortcode=parsed.shortcode,
        graph_media_id=as_str(item.get("id")),
        caption=as_str(item.get("caption")),
        media_type=as_str(item.get("media_type")),
        thumbnail_url=as_str(item.get("thumbnail_url")) or as_str(item.get("media_url")),
        published_at=published,
        views=upstream_count(IG, "view_count", item.get("view_count")),
        likes=upstream_count(IG, "like_count", item.get("like_count")),
        comments=upstream_count(IG, "comments_count", item.get("comments_count")),
    )


def usage_percent(usage: dict[str, Any]) -> int:
    """The highest of X-App-Usage's percentages (calls, time, CPU time)."""
    keys = ("call_count", "total_time", "total_cputime")
    return max((as_int(usage.get(key)) or 0 for key in keys), default=0)


def json_header(value: str | None) -> dict[str, Any] | None:
    try:
        parsed = json.loads(value) if value else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
