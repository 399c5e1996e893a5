"""What the clients return, whatever the platform: profiles and posts with their counters."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from app.counts import MAX_COUNT
from app.identifiers import Platform

logger = logging.getLogger("creatoraudit.platforms")


def upstream_count(platform: Platform, name: str, value: object) -> int | None:
    """A counter from a platform's JSON: an integer in [0, MAX_COUNT], else None (unknown).

    A value that is there but is not such a count (a string, a boolean, a fraction, a negative
    number, or one over MAX_COUNT) is not data we can trust: it reads as "not reported", is
    logged, and the rest of the response is recorded as usual (SPEC §4 rule 4: an unknown value
    changes nothing). Failing the whole refresh instead would lose every other profile and post
    of the response, and retrying it would only ask the platform for the same answer.
    """
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)  # JSON has one number type: 12.0 is the integer 12
    if number is not None and 0 <= number <= MAX_COUNT:
        return number
    logger.warning(
        "platform.count_invalid",
        extra={"platform": platform.value, "field": name, "value": repr(value)[:40]},
    )
    return None


@dataclass(frozen=True, slots=True)
class Profile:
    """A public profile as one refresh saw it (None = not reported by the platform)."""

    platform: Platform
    handle: str
    platform_user_id: str | None = None
    display_name: str | None = None
    biography: str | None = None
    avatar_url: str | None = None
    website: str | None = None
    is_verified: bool | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A public post as one refresh saw it (None = not reported by the platform).

    `media_id` is the canonical numeric id as a decimal string: the Instagram media pk (derived
    from the permalink's shortcode, never from the Graph API id) or the TikTok video id.
    """

    platform: Platform
    media_id: str
    url: str
    author_handle: str | None = None
    shortcode: str | None = None
    graph_media_id: str | None = None
    caption: str | None = None
    media_type: str | None = None
    thumbnail_url: str | None = None
    published_at: datetime | None = None
    views: int | None = None
    plays: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
