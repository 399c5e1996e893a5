"""Per-platform facts the rest of the code looks up instead of branching on the platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.identifiers import Platform, pk_to_shortcode

__all__ = ["SPECS", "PlatformSpec", "spec"]


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """What differs between platforms outside their clients.

    `never_reported` are the video counters the platform has no figure for (the importer
    ignores them); `insights_only` those it reports only in owner insights, to the accounts
    whose owner connected them; `plays_are_views` means its only play count is the view count.
    `addressed_by_shortcode`: its posts also have a shortcode, derived from the numeric id.
    `url_names_author`: the canonical post URL holds the author's handle (so it is rebuilt
    once the author is known). `owner_insights`: owners may connect their accounts for
    insights (saves, shares).
    """

    platform: Platform
    profile_url: Callable[[str], str]
    post_url: Callable[[str, str | None], str]  # (canonical media id, author handle)
    never_reported: frozenset[str] = frozenset()
    insights_only: frozenset[str] = frozenset()
    plays_are_views: bool = False
    addressed_by_shortcode: bool = False
    url_names_author: bool = False
    owner_insights: bool = False

    def shortcode(self, media_id: str) -> str | None:
        """The post's shortcode, where the platform has them."""
        return pk_to_shortcode(int(media_id)) if self.addressed_by_shortcode else None


def _instagram_post_url(media_id: str, _handle: str | None) -> str:
    return f"https://www.instagram.com/p/{pk_to_shortcode(int(media_id))}/"


def _tiktok_post_url(media_id: str, handle: str | None) -> str:
    return f"https://www.tiktok.com/@{handle or ''}/video/{media_id}"


SPECS: Final[dict[Platform, PlatformSpec]] = {
    Platform.INSTAGRAM: PlatformSpec(
        Platform.INSTAGRAM,
        profile_url=lambda handle: f"https://www.instagram.com/{handle}/",
        post_url=_instagram_post_url,
        insights_only=frozenset({"saves", "shares"}),
        addressed_by_shortcode=True,
        owner_insights=True,
    ),
    Platform.TIKTOK: PlatformSpec(
        Platform.TIKTOK,
        profile_url=lambda handle: f"https://www.tiktok.com/@{handle}",
        post_url=_tiktok_post_url,
        never_reported=frozenset({"plays", "saves"}),  # plays = views; saves never exist
        plays_are_views=True,
        url_names_author=True,
    ),
}


def spec(platform: Platform) -> PlatformSpec:
    """The facts of `platform`."""
    return SPECS[platform]
