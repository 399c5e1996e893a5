"""The simulated world: deterministic profiles and posts whose counters grow with time.

Everything derives from a seed and the handle, so two simulators with the same seed agree, and
any valid handle exists. Handles starting with `private`, `missing` or `restricted` name
profiles in those states.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from app.identifiers import Platform, pk_to_shortcode

INSTAGRAM_EPOCH_MS = 1314220021721
POSTS_PER_PROFILE = 40
HISTORY_DAYS = 150


class ProfileState(StrEnum):
    """How a simulated profile answers."""

    ACTIVE = "ACTIVE"
    PRIVATE = "PRIVATE"
    NOT_FOUND = "NOT_FOUND"
    RESTRICTED = "RESTRICTED"


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class SimPost:
    """A simulated post. Instagram: `media_id` is the pk, `graph_id` the Graph API id."""

    platform: Platform
    author: str
    media_id: int
    graph_id: str
    published_at: datetime
    media_type: str  # IG: VIDEO | IMAGE | CAROUSEL_ALBUM; TikTok: VIDEO
    product_type: str  # IG: REELS | FEED; TikTok: VIDEO
    caption: str
    rate: float  # views per day**0.6 scale
    like_ratio: float
    hidden_likes: bool
    duration: int

    @property
    def shortcode(self) -> str:
        """Instagram shortcode of the pk."""
        return pk_to_shortcode(self.media_id)

    @property
    def url(self) -> str:
        """The post's public URL, as its platform shows it."""
        if self.platform is Platform.INSTAGRAM:
            kind = "reel" if self.product_type == "REELS" else "p"
            return f"https://www.instagram.com/{kind}/{self.shortcode}/"
        return f"https://www.tiktok.com/@{self.author}/video/{self.media_id}"


@dataclass(frozen=True, slots=True)
class PostCounters:
    """A post's counters at a moment (None = the platform would not report it)."""

    views: int | None
    likes: int | None
    comments: int
    shares: int
    saves: int


@dataclass(frozen=True, slots=True)
class SimProfile:
    """A simulated profile."""

    platform: Platform
    handle: str
    state: ProfileState
    user_id: str
    display_name: str
    biography: str
    avatar_url: str
    website: str
    is_verified: bool
    base_followers: int
    growth: float
    following: int
    connected: bool  # Instagram: the owner connected it, so insights (saves, shares) exist
    posts: tuple[SimPost, ...] = field(default=())


@dataclass
class World:
    """All profiles and posts, as functions of the seed, the handle and the clock."""

    seed: int = 7
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    anchor: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    # Which handle posted each post id generated so far: a lookup by post id alone (TikTok's
    # video_id query) can only find posts whose author the simulator has already generated.
    _authors: dict[tuple[Platform, int], str] = field(default_factory=dict, repr=False)

    def now(self) -> datetime:
        """The simulated current time."""
        return self.clock()

    def profile(self, platform: Platform, handle: str) -> SimProfile:
        """The profile of a handle (it always exists; its state may say otherwise)."""
        state = ProfileState.ACTIVE
        for prefix, special in (
            ("private", ProfileState.PRIVATE),
            ("missing", ProfileState.NOT_FOUND),
            ("restricted", ProfileState.RESTRICTED),
        ):
            if handle.startswith(prefix):
                state = special
        u = _unit(self.seed, platform, handle)
        user_id = str(17841400000000000 + int(u * 10**12)) if platform is Platform.INSTAGRAM else ""
        name = handle.replace(".", " ").replace("_", " ").title()
        return SimProfile(
            platform=platform,
            handle=handle,
            state=state,
            user_id=user_id,
            display_name=name,
            biography=f"{name} — simulated profile",
            avatar_url=f"https://cdn.example/avatars/{handle}.jpg",
            website=f"https://{handle.replace('.', '')}.example",
            is_verified=_unit(self.seed, "verified", handle) < 0.3,
            base_followers=int(1000 + 2_000_000 * _unit(self.seed, "followers", handle) ** 3),
            growth=0.002 * (_unit(self.seed, "growth", handle) - 0.2),
            following=int(50 + 900 * _unit(self.seed, "following", handle)),
            connected=platform is Platform.INSTAGRAM and _unit(self.seed, "insights", handle) < 0.5,
            posts=self._posts(platform, handle),
        )

    def find_post(self, platform: Platform, media_id: int) -> tuple[SimProfile, SimPost] | None:
        """A post by id with its author's profile, if the author has been generated."""
        handle = self._authors.get((platform, media_id))
        if handle is None:
            return None
        profile = self.profile(platform, handle)
        post = next(p for p in profile.posts if p.media_id == media_id)
        return profile, post

    def _posts(self, platform: Platform, handle: str) -> tuple[SimPost, ...]:
        posts = []
        for index in range(POSTS_PER_PROFILE):
            u = _unit(self.seed, "post", platform, handle, index)
            published = self.anchor + timedelta(
                seconds=int((index / POSTS_PER_PROFILE + u / POSTS_PER_PROFILE) * 400 * 86400)
            )
            if platform is Platform.INSTAGRAM:
                ms = int(published.timestamp() * 1000) - INSTAGRAM_EPOCH_MS
                media_id = (ms << 23) | (int(u * 8191) << 10) | index
                kind = ("VIDEO", "IMAGE", "CAROUSEL_ALBUM")[int(u * 3)]
                product = "REELS" if kind == "VIDEO" else "FEED"
            else:
                media_id = (int(published.timestamp()) - 30) << 32 | int(u * 2**31)
                kind, product = "VIDEO", "VIDEO"
            self._authors[(platform, media_id)] = handle
            posts.append(
                SimPost(
                    platform=platform,
                    author=handle,
                    media_id=media_id,
                    graph_id=str(17900000000000000 + int(u * 10**14)),
                    published_at=published,
                    media_type=kind,
                    product_type=product,
                    caption=f"Post {index} by {handle} #sim",
                    rate=math.exp(5 + 3 * _unit(self.seed, "rate", handle, index)),
                    like_ratio=0.02 + 0.1 * _unit(self.seed, "likes", handle, index),
                    hidden_likes=_unit(self.seed, "hidden", handle, index) < 0.05,
                    duration=int(5 + 200 * _unit(self.seed, "duration", handle, index)),
                )
            )
        return tuple(posts)

    def published_posts(self, profile: SimProfile, at: datetime | None = None) -> list[SimPost]:
        """The profile's posts published by `at`, newest first."""
        moment = at or self.now()
        return sorted(
            (p for p in profile.posts if p.published_at <= moment),
            key=lambda p: p.published_at,
            reverse=True,
        )

    def followers(self, profile: SimProfile, at: datetime | None = None) -> int:
        """Follower count at a moment."""
        days = ((at or self.now()) - self.anchor).total_seconds() / 86400
        return max(0, int(profile.base_followers * (1 + profile.growth) ** max(days, 0)))

    def counters(self, post: SimPost, at: datetime | None = None) -> PostCounters:
        """A post's counters at a moment: growing, with occasional small recounts downwards."""
        moment = at or self.now()
        age = max((moment - post.published_at).total_seconds() / 86400, 0.0)
        views = int(post.rate * (age + 1) ** 0.6)
        # Platforms recount: a deterministic dip of up to 0.5 % on some days.
        if _unit(self.seed, "recount", post.media_id, int(age)) < 0.1:
            views = int(views * 0.995)
        likes = int(views * post.like_ratio)
        return PostCounters(
            views=None
            if post.media_type != "VIDEO" and post.platform is Platform.INSTAGRAM
            else views,
            likes=None if post.hidden_likes else likes,
            comments=int(likes / 12),
            shares=int(likes / 25),
            saves=int(likes / 8),
        )
