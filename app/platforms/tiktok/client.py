"""TikTok Research API client (PLATFORMS.md §2): client token, user info, video query.

Every response goes through `_call`, the one place where wire errors become `PlatformError`s.
Ids are parsed from the raw JSON with Python's `json`, which keeps int64 numbers exact (never
floats). `favorites_count` is TikTok's bookmark count, not a public "saves" figure comparable to
Instagram's, so `Post.saves` stays None.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import aiohttp

from app.identifiers import Platform, tiktok_id_time
from app.platforms.budget import Budget
from app.platforms.errors import (
    AuthExpired,
    PlatformError,
    ProfileNotFound,
    ProfilePrivate,
    RateLimited,
    UpstreamError,
)
from app.platforms.http import retry_after_seconds
from app.platforms.interface import Insight, ReadKind
from app.platforms.values import Post, Profile, upstream_count
from app.settings import TikTokSettings

P = Platform.TIKTOK
USER_FIELDS = ",".join(
    [
        *("display_name", "bio_description", "avatar_url", "is_verified"),
        *("follower_count", "following_count", "likes_count", "video_count"),
    ]
)
VIDEO_FIELDS = ",".join(
    [
        *("id", "create_time", "username", "video_description"),
        *("view_count", "like_count", "comment_count", "share_count"),
    ]
)
WINDOW = timedelta(days=30)
RENEW_MARGIN = timedelta(minutes=5)


class _SearchExpired(UpstreamError):
    """The search_id of a paged query expired; the window can be restarted."""


def seconds_to_utc_midnight(now: datetime) -> float:
    """Seconds from `now` until the next 00:00 UTC, when TikTok's daily quota resets."""
    now = now.astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return (midnight - now).total_seconds()


class TikTokClient:
    """Research API client; fetches and renews its own client-credentials token."""

    platform: Platform = P
    supports_insights: bool = False  # the Research API has no owner insights
    # A profile and one video query per 30-day slice of a 90-day look-back; one post.
    EXPECTED_REQUESTS: ClassVar[dict[ReadKind, int]] = {ReadKind.PROFILE: 4, ReadKind.VIDEO: 1}

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: TikTokSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        page_size: int = 100,
        budget: Budget | None = None,
    ) -> None:
        self._budget = budget
        self._session = session
        self._settings = settings
        self._base = settings.base_url.rstrip("/")
        self._clock = clock
        self._page_size = page_size
        self._token: str | None = None
        self._token_expiry = datetime.min.replace(tzinfo=UTC)

    async def _renew_token(self) -> str:
        form = {
            "client_key": self._settings.client_key,
            "client_secret": self._settings.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
        }
        status, body = await self._request(f"{self._base}/v2/oauth/token/", data=form)
        if status == 200 and isinstance(body.get("access_token"), str):
            self._token = body["access_token"]
            self._token_expiry = self._clock() + timedelta(seconds=int(body.get("expires_in", 0)))
            return self._token
        message = f"token: HTTP {status} {body.get('error')}: {body.get('error_description')}"
        if status in (400, 401, 403):
            raise AuthExpired(P, message)
        raise UpstreamError(P, message, transient=status >= 500 or status == 429)

    async def _request(self, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """POST and decode JSON; transport failures and non-JSON bodies are transient."""
        if self._budget is not None:
            await self._budget.acquire()
        try:
            async with self._session.post(url, **kwargs) as response:
                raw = await response.read()
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as error:
            raise UpstreamError(P, f"transport: {error!r}", transient=True) from error
        if status == 429 and retry_after is not None:  # undocumented, but honoured if sent
            raise RateLimited(P, f"HTTP 429, Retry-After {retry_after:g}", retry_after=retry_after)
        try:
            body = json.loads(raw)
        except ValueError:
            raise UpstreamError(P, f"HTTP {status}: body is not JSON", transient=True) from None
        if not isinstance(body, dict):
            raise UpstreamError(P, f"HTTP {status}: unexpected JSON", transient=True)
        return status, body

    async def _call(self, path: str, fields: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The single choke point: one data request, its envelope checked and mapped."""
        for attempt in (0, 1):
            token = self._token
            if token is None or self._clock() >= self._token_expiry - RENEW_MARGIN:
                token = await self._renew_token()
            status, body = await self._request(
                f"{self._base}{path}",
                params={"fields": fields},
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
            )
            error = body.get("error")
            if not isinstance(error, dict):
                error = {}
            code, message = str(error.get("code", "")), str(error.get("message", ""))
            if status == 200 and code == "ok" and isinstance(body.get("data"), dict):
                data: dict[str, Any] = body["data"]
                return data
            if code == "access_token_invalid" or status == 401:
                self._token = None
                if attempt == 0:
                    continue
                raise AuthExpired(P, f"{code}: {message}")
            raise self._error(status, code, message)
        raise AssertionError("unreachable")

    def _error(self, status: int, code: str, message: str) -> PlatformError:
        text = f"HTTP {status} {code}: {message}"
        if code == "invalid_params" and "cannot find the user" in message:
            return ProfileNotFound(P, text)
        if code == "invalid_params" and "cannot return this user's information" in message:
            return ProfilePrivate(P, text)
        if code == "invalid_params" and "search id" in message.lower() and "expired" in message:
            return _SearchExpired(P, text, transient=True)
        if code == "daily_quota_limit_exceeded" or (status == 429 and "quota" in text.lower()):
            # The daily quota resets at 00:00 UTC; nothing helps before then.
            return RateLimited(P, text, retry_after=seconds_to_utc_midnight(self._clock()))
        if status == 429 or code == "rate_limit_exceeded":
            return RateLimited(P, text, retry_after=None)  # a short-term limit: back off
        return UpstreamError(P, text, transient=status >= 500 or status == 200)

    async def get_profile(self, handle: str) -> Profile:
        """The public profile of `handle` (TikTok returns no numeric user id)."""
        data = await self._call("/v2/research/user/info/", USER_FIELDS, {"username": handle})
        return Profile(
            platform=P,
            handle=handle,
            platform_user_id=None,
            display_name=data.get("display_name"),
            biography=data.get("bio_description"),
            avatar_url=data.get("avatar_url"),
            is_verified=data.get("is_verified"),
            followers=upstream_count(P, "follower_count", data.get("follower_count")),
            following=upstream_count(P, "following_count", data.get("following_count")),
            posts_count=upstream_count(P, "video_count", data.get("video_count")),
        )

    async def list_videos(
        self, handle: str, *, since: datetime, until: datetime | None = None, limit: int = 50
    ) -> list[Post]:
        """Videos published in [since, until], newest first, at most `limit`.

        Steps 30-day windows back from `until`; pages each with cursor and search_id, and
        restarts a window once if its search_id expires.
        """
        until = until or self._clock()
        posts: dict[str, Post] = {}
        end = until.astimezone(UTC).date()
        first = since.astimezone(UTC).date()
        while end >= first and len(posts) < limit:
            start = max(first, end - WINDOW)
            for restart in (0, 1):
                try:
                    await self._window(handle, start, end, since, until, limit, posts)
                    break
                except _SearchExpired:
                    if restart:
                        raise
            end = start - timedelta(days=1)
        ordered = sorted(posts.values(), key=lambda p: (p.published_at, int(p.media_id)))
        return ordered[::-1][:limit]

    async def _window(
        self,
        handle: str,
        start: date,
        end: date,
        since: datetime,
        until: datetime,
        limit: int,
        posts: dict[str, Post],
    ) -> None:
        payload: dict[str, Any] = {
            "query": {
                "and": [{"operation": "EQ", "field_name": "username", "field_values": [handle]}]
            },
            "start_date": start.strftime("%Y%m%d"),
            "end_date": end.strftime("%Y%m%d"),
            "max_count": self._page_size,
        }
        while len(posts) < limit:
            data = await self._call("/v2/research/video/query/", VIDEO_FIELDS, payload)
            for video in data.get("videos") or []:
                post = self._post(handle, video)
                if post.published_at is not None and since <= post.published_at <= until:
                    posts[post.media_id] = post
            if not data.get("has_more"):
                return
            payload = {**payload, "cursor": data["cursor"], "search_id": data["search_id"]}

    def expected_requests(self, kind: ReadKind) -> int:
        """Upstream requests a read of `kind` usually costs (more pages are taken as they go)."""
        return self.EXPECTED_REQUESTS[kind]

    async def recent_posts(self, handle: str, *, limit: int, since: datetime) -> list[Post]:
        """The interface's recent posts: `list_videos` from `since` on."""
        return await self.list_videos(handle, since=since, limit=limit)

    async def post(self, media_id: str, author: str | None) -> Post | None:
        """One video by id (`get_video`); the author is not needed."""
        return await self.get_video(media_id)

    async def media_insights(self, graph_media_id: str, owner_token: str) -> Insight:
        """TikTok has no owner insights (`supports_insights` is False): always raises."""
        raise UpstreamError(P, "TikTok has no owner media insights", transient=False)

    async def get_video(self, video_id: str) -> Post | None:
        """One video by id, or None when the platform no longer has it.

        The query needs a date range; the id carries its upload time (id >> 32), a little
        before the publish time, so a few days around it always hold the video.
        """
        uploaded = tiktok_id_time(int(video_id))
        today = self._clock().astimezone(UTC).date()
        if not date(2016, 1, 1) <= uploaded.date() <= today:
            raise UpstreamError(
                P, f"video id {video_id} carries no plausible date", transient=False
            )
        payload: dict[str, Any] = {
            "query": {
                "and": [{"operation": "EQ", "field_name": "video_id", "field_values": [video_id]}]
            },
            "start_date": (uploaded.date() - timedelta(days=1)).strftime("%Y%m%d"),
            "end_date": min(today, uploaded.date() + timedelta(days=2)).strftime("%Y%m%d"),
            "max_count": 1,
        }
        data = await self._call("/v2/research/video/query/", VIDEO_FIELDS, payload)
        for video in data.get("videos") or []:
            if isinstance(video, dict) and str(video.get("id")) == video_id:
                return self._post(str(video.get("username") or ""), video)
        return None

    @staticmethod
    def _post(handle: str, video: dict[str, Any]) -> Post:
        video_id = video["id"]
        if type(video_id) is not int:
            raise UpstreamError(P, f"video id is not an integer: {video_id!r}", transient=False)
        created = video.get("create_time")
        views = upstream_count(P, "view_count", video.get("view_count"))
        return Post(
            platform=P,
            media_id=str(video_id),
            url=f"https://www.tiktok.com/@{handle}/video/{video_id}",
            author_handle=video.get("username") or handle,
            caption=video.get("video_description"),
            media_type="VIDEO",
            published_at=datetime.fromtimestamp(created, UTC) if created is not None else None,
            views=views,
            plays=views,
            likes=upstream_count(P, "like_count", video.get("like_count")),
            comments=upstream_count(P, "comment_count", video.get("comment_count")),
            shares=upstream_count(P, "share_count", video.get("share_count")),
            saves=None,  # favorites_count is not a public saves figure
        )
