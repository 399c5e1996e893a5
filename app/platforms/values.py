"""What the clients return, whatever the platform: profiles and posts with their counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.identifiers import Platform


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
