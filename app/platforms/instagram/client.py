"""Instagram Graph API client: Business Discovery profiles and media, owner media insights.

Every HTTP exchange goes through `InstagramClient._call`, the one place that turns Graph error
envelopes, HTTP failures, timeouts and non-JSON bodies into `PlatformError`s (PLATFORMS.md §1.6).
The token travels in the `Authorization` header, never in the URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import aiohttp

from app.identifiers import (
    IdentifierError,
    Platform,
    instagram_pk_time,
    normalize_handle,
)
from app.platforms.budget import Budget
from app.platforms.errors import (
    AuthExpired,
    AuthorUnknown,
    PlatformError,
    ProfileNotFound,
    ProfileRestricted,
    RateLimited,
    UpstreamError,
)
from app.platforms.http import retry_after_seconds
from app.platforms.instagram.wire import as_int, as_str, json_header, media_post, usage_percent
from app.platforms.interface import ReadKind
from app.platforms.values import Post, Profile, upstream_count
from app.settings import InstagramSettings

IG = Platform.INSTAGRAM
PROFILE_FIELDS = (
    "id,username,name,biography,website,profile_picture_url,followers_count,follows_count,"
    "media_count"
)
MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,like_count,comments_count,view_count,timestamp,"
    "permalink,thumbnail_url,media_url"
)
MAX_PAGE = 100
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
# From this usage (%) on, pause before the platform starts refusing (code 4 comes at 100).
USAGE_CEILING = 95
_Context = Literal["discovery", "insights"]


class InstagramClient:
    """Reads other accounts through Business Discovery on our own IG user (`settings`).

    `page_size` (1–100) is the `media.limit(N)` asked per page. `last_usage` holds the last
    `X-App-Usage` seen (percentages of the app's hourly budget); once it reaches
    `USAGE_CEILING`, calls are refused locally with `RateLimited` for a while instead of
    being sent, so the platform is not pushed into refusing them itself.
    """

    platform: Platform = IG
    supports_insights: bool = True  # owner media insights: saves and shares
    # A profile and one feed page; one post (the newest page of its author's feed).
    EXPECTED_REQUESTS: ClassVar[dict[ReadKind, int]] = {ReadKind.PROFILE: 2, ReadKind.VIDEO: 1}

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: InstagramSettings,
        *,
        page_size: int = MAX_PAGE,
        budget: Budget | None = None,
    ) -> None:
        self._budget = budget
        self._session = session
        self._settings = settings
        self._page_size = max(1, min(page_size, MAX_PAGE))
        self.last_usage: dict[str, Any] | None = None
        self._paused_until = 0.0  # time.monotonic() before which no call is sent

    async def get_profile(self, handle: str) -> Profile:
        """The profile of a business or creator account (`is_verified` is unknowable: None)."""
        body = await self._discover(handle, PROFILE_FIELDS)
        return Profile(
            platform=IG,
            handle=as_str(body.get("username")) or handle,
            platform_user_id=as_str(body.get("id")),
            display_name=as_str(body.get("name")),
            biography=as_str(body.get("biography")),
            avatar_url=as_str(body.get("profile_picture_url")),
            website=as_str(body.get("website")),
            is_verified=None,
            followers=upstream_count(IG, "followers_count", body.get("followers_count")),
            following=upstream_count(IG, "follows_count", body.get("follows_count")),
            posts_count=upstream_count(IG, "media_count", body.get("media_count")),
        )

    async def list_media(
        self, handle: str, *, limit: int = 50, since: datetime | None = None
    ) -> list[Post]:
        """Up to `limit` newest posts, following `after` cursors; stops at posts before `since`.

        `since` must be timezone-aware. Raises the same `PlatformError`s as `get_profile`.
        """
        posts: list[Post] = []
        async for post in self._media(handle, limit):
            if since is not None and post.published_at and post.published_at < since:
                break
            posts.append(post)
            if len(posts) >= limit:
                break
        return posts

    def expected_requests(self, kind: ReadKind) -> int:
        """Upstream requests a read of `kind` usually costs (more pages are taken as they go)."""
        return self.EXPECTED_REQUESTS[kind]

    async def recent_posts(self, handle: str, *, limit: int, since: datetime) -> list[Post]:
        """The interface's recent posts: `list_media`."""
        return await self.list_media(handle, limit=limit, since=since)

    async def post(self, media_id: str, author: str | None) -> Post | None:
        """One post, found through its author's feed (`find_media`): the author is needed."""
        if author is None:
            raise AuthorUnknown(
                IG,
                "Instagram posts are read through their author's profile, and this post's "
                "author is unknown: add it by a URL that names the author, with authorHandle, "
                "or track the author's account",
            )
        return await self.find_media(author, media_id)

    async def find_media(self, handle: str, media_id: str, *, max_posts: int = 1000) -> Post | None:
        """One post of `handle` by its pk, or None when the feed no longer holds it.

        Business Discovery cannot fetch a single post, so this walks the author's feed from the
        newest post back to the one the pk dates (pk >> 23 is its publish time in ms).
        """
        published = instagram_pk_time(int(media_id))
        seen = 0
        async for post in self._media(handle, max_posts):
            if post.media_id == media_id:
                return post
            if post.published_at and post.published_at < published - timedelta(minutes=1):
                return None  # past the post's time: it is gone
            seen += 1
            if seen >= max_posts:
                raise UpstreamError(
                    IG,
                    f"post {media_id} is older than the newest {max_posts} of @{handle}",
                    transient=False,
                )
        return None  # the feed ended

    async def _media(self, handle: str, wanted: int) -> AsyncIterator[Post]:
        """The feed, newest first, a page of up to `wanted` posts at a time."""
        after: str | None = None
        while True:
            page_size = min(self._page_size, max(1, wanted))
            edge = f"media.after({after})" if after else "media"
            body = await self._discover(handle, f"{edge}.limit({page_size}){{{MEDIA_FIELDS}}}")
            media = body.get("media")
            media = media if isinstance(media, dict) else {}
            items = media.get("data") or []
            for item in items:
                yield media_post(item, handle)
            cursors = (media.get("paging") or {}).get("cursors") or {}
            after = cursors.get("after") if items else None
            if not after:
                return

    async def media_insights(
        self, graph_media_id: str, owner_token: str
    ) -> tuple[int | None, int | None]:
        """(saves, shares) of one of the token owner's media; None when a metric is absent."""
        url = f"{self._base()}/{graph_media_id}/insights"
        body = await self._call(url, {"metric": "saved,shares"}, owner_token, "insights")
        values: dict[str, int | None] = {}
        for entry in body.get("data") or []:
            points = entry.get("values") if isinstance(entry, dict) else None
            if isinstance(points, list) and points and isinstance(points[0], dict):
                name = str(entry.get("name"))
                values[name] = upstream_count(IG, name, points[0].get("value"))
        return values.get("saved"), values.get("shares")

    def _base(self) -> str:
        return f"{self._settings.base_url.rstrip('/')}/{self._settings.api_version}"

    async def _discover(self, handle: str, fields: str) -> dict[str, Any]:
        """`business_discovery.username(handle){fields}` on our own IG user."""
        try:
            handle = normalize_handle(IG, handle)
        except IdentifierError as error:  # no such username can exist
            raise ProfileNotFound(IG, f"invalid username {handle!r}") from error
        url = f"{self._base()}/{self._settings.ig_user_id}"
        query = {"fields": f"business_discovery.username({handle}){{{fields}}}"}
        token = self._settings.access_token.get_secret_value()
        body = await self._call(url, query, token, "discovery")
        found = body.get("business_discovery")
        if not isinstance(found, dict):
            raise UpstreamError(IG, "response without business_discovery", transient=True)
        return found

    def _wait(self, usage: dict[str, Any] | None, buc: dict[str, Any] | None) -> float | None:
        """Seconds to wait: BUC `estimated_time_to_regain_access` (minutes), else by app usage.

        None when neither says: the worker then backs off progressively.
        """
        minutes = [
            as_int(entry.get("estimated_time_to_regain_access")) or 0
            for entries in (buc or {}).values()
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, dict)
        ]
        if minutes and max(minutes) > 0:
            return max(minutes) * 60.0
        call_count = as_int((usage or {}).get("call_count")) or 0
        return self._settings.usage_pause_seconds if call_count >= 100 else None

    async def _call(
        self, url: str, params: dict[str, str], token: str, context: _Context
    ) -> dict[str, Any]:
        """The one choke point: GET, then every failure becomes a `PlatformError`."""
        headers = {"Authorization": f"Bearer {token}"}
        paused = self._paused_until - time.monotonic()
        if paused > 0:
            raise RateLimited(IG, "app usage near its limit: pausing", retry_after=paused)
        if self._budget is not None:
            await self._budget.acquire()
        try:
            async with self._session.get(url, params=params, headers=headers) as response:
                status, text = response.status, await response.text()
                usage = json_header(response.headers.get("X-App-Usage"))
                buc = json_header(response.headers.get("X-Business-Use-Case-Usage"))
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except TimeoutError as error:  # asyncio.TimeoutError is TimeoutError on 3.11
            raise UpstreamError(IG, "request timed out", transient=True) from error
        except aiohttp.ClientError as error:
            raise UpstreamError(IG, f"HTTP failure: {error!r}", transient=True) from error
        if usage is not None:
            self.last_usage = usage
            if usage_percent(usage) >= USAGE_CEILING:
                self._paused_until = time.monotonic() + self._settings.usage_pause_seconds
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise UpstreamError(IG, f"HTTP {status} with a non-JSON body", transient=True)
        envelope = body.get("error")
        if isinstance(envelope, dict):
            wait = retry_after if retry_after is not None else self._wait(usage, buc)
            raise _convert(envelope, status, context, wait)
        if status >= 400:
            raise UpstreamError(IG, f"HTTP {status} without an error", transient=status >= 500)
        return body


def _convert(
    error: dict[str, Any], status: int, context: _Context, wait: float | None
) -> PlatformError:
    """A Graph error envelope as the matching `PlatformError` (PLATFORMS.md §1.6 table).

    `wait` is how long a throttled caller should wait (None: the platform did not say).
    """
    code, subcode = as_int(error.get("code")), as_int(error.get("error_subcode"))
    message = f"({code}/{subcode}) {error.get('message', '')}"
    if code in RATE_LIMIT_CODES:
        return RateLimited(IG, message, retry_after=wait)
    if code == 190:
        return AuthExpired(IG, message)
    if code == 110 and context == "discovery":
        return ProfileNotFound(IG, message)
    if code == 10 and context == "discovery":
        return ProfileRestricted(IG, message)
    transient = code in TRANSIENT_CODES or status >= 500 or error.get("is_transient") is True
    return UpstreamError(IG, message, transient=transient)
