"""Simulated TikTok Research API (PLATFORMS.md §2): client token, user info, video query.

Mounted by `app.simulator.app` at `/tiktok`, so the client's base URL is `…/tiktok` and the
paths below match `https://open.tiktokapis.com`. Time (token expiry, search_id TTL, the daily
quota's 00:00 UTC reset) follows the world's injectable clock. Random parts (tokens, log_ids,
search_ids) come from a generator seeded with the world's seed, so equal seeds and equal request
sequences give equal bodies. The per-app state is reachable as `app[STATE]` for tests.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from app.identifiers import Platform
from app.simulator.faults import Faults
from app.simulator.tiktok_query import (
    USER_FIELDS,
    VIDEO_FIELDS,
    ApiError,
    invalid,
    parse_fields,
    parse_video_query,
    render_user,
    render_video,
)
from app.simulator.world import ProfileState, SimPost, World

CLIENT_SECRET = "simulator-secret"  # matches TikTokSettings' default; any client_key is accepted
DAILY_QUOTA = 1000
TOKEN_TTL_SECONDS = 7200
SEARCH_ID_TTL_SECONDS = 900.0  # the real TTL is undocumented


@dataclass
class TikTokState:
    """Everything the simulated TikTok remembers between requests."""

    world: World
    faults: Faults
    daily_quota: int
    token_ttl: int
    search_id_ttl: float
    video_lag: timedelta
    rng: random.Random
    tokens: dict[str, datetime] = field(default_factory=dict)  # token → expiry
    searches: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id → (key, born)
    usage: dict[date, int] = field(default_factory=dict)  # requests per UTC day
    token_requests: int = 0
    profile_lookups: Counter[str] = field(default_factory=Counter)  # user-info calls per name
    video_lookups: Counter[int] = field(default_factory=Counter)  # video_id queries per id

    def log_id(self) -> str:
        """`YYYYMMDDhhmmss` + hex, as TikTok's log ids."""
        return self.world.now().strftime("%Y%m%d%H%M%S") + f"{self.rng.getrandbits(80):020X}"

    def forget_tokens(self) -> None:
        """Invalidate every issued token (as a server-side revocation would)."""
        self.tokens.clear()


STATE = web.AppKey("tiktok_state", TikTokState)
Handler = Callable[[TikTokState, web.Request, Any], Awaitable[dict[str, Any]]]


def _envelope(
    state: TikTokState, data: dict[str, Any], status: int = 200, code: str = "ok", message: str = ""
) -> web.Response:
    error = {"code": code, "message": message, "log_id": state.log_id()}
    return web.json_response({"data": data, "error": error}, status=status)


async def token(request: web.Request) -> web.Response:
    """POST /v2/oauth/token/ (form): a `clt.` client token, or the flat OAuth error."""
    state = request.app[STATE]
    form = await request.post()
    state.token_requests += 1

    def oauth_error(status: int, error: str, description: str) -> web.Response:
        body = {"error": error, "error_description": description, "log_id": state.log_id()}
        return web.json_response(body, status=status)

    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Grant type is not supported.")
    if not form.get("client_key") or not form.get("client_secret"):
        return oauth_error(400, "invalid_request", "Client key or secret is missed in request.")
    if form.get("client_secret") != CLIENT_SECRET:
        return oauth_error(401, "invalid_client", "Client key or secret is invalid.")
    value = "clt." + "".join(state.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
    state.tokens[value] = state.world.now() + timedelta(seconds=state.token_ttl)
    return web.json_response(
        {"access_token": value, "expires_in": state.token_ttl, "token_type": "Bearer"}
    )


def _data_endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Latency, bearer token, daily quota and faults around a data handler, then the envelope."""

    async def wrapped(request: web.Request) -> web.Response:
        state = request.app[STATE]
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        now = state.world.now()
        header = request.headers.get("Authorization", "")
        expiry = state.tokens.get(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or expiry is None or now >= expiry:
            message = "The access token is invalid or not found in the request."
            return _envelope(state, {}, 401, "access_token_invalid", message)
        used = state.usage.get(now.date(), 0)
        if used >= state.daily_quota:
            return _envelope(state, {}, 429, "rate_limit_exceeded", "Daily quota exceeded.")
        state.usage[now.date()] = used + 1  # counted before faults: a 500 still uses quota
        fault = faults.draw()
        if fault == "rate_limit":
            return _envelope(state, {}, 429, "rate_limit_exceeded", "Rate limit exceeded.")
        if fault == "server_error":
            return _envelope(state, {}, 500, "internal_error", "Something went wrong.")
        if fault == "malformed":
            return web.Response(status=200, text="<html>oops", content_type="text/html")
        if fault == "timeout":
            await asyncio.sleep(faults.timeout_seconds)
        try:
            try:
                body = await request.json()
            except ValueError:
                raise invalid("Request body is not valid JSON") from None
            return _envelope(state, await handler(state, request, body))
        except ApiError as error:
            return _envelope(state, {}, error.status, error.code, error.message)

    return wrapped


async def user_info(state: TikTokState, request: web.Request, body: Any) -> dict[str, Any]:
    """POST /v2/research/user/info/?fields=…  {"username": …}."""
    fields = parse_fields(request.query.get("fields"), USER_FIELDS)
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str) or not username:
        raise invalid("Field username is required")
    state.profile_lookups[username] += 1
    profile = state.world.profile(Platform.TIKTOK, username)
    if profile.state is ProfileState.NOT_FOUND:
        raise invalid(f"User {username} is invalid: cannot find the user")
    if profile.state is not ProfileState.ACTIVE:
        raise invalid(f"API cannot return this user's information: {username}")
    return render_user(state.world, profile, fields)


async def video_query(state: TikTokState, request: web.Request, body: Any) -> dict[str, Any]:
    """POST /v2/research/video/query/?fields=…: one page, decreasing video id."""
    fields = parse_fields(request.query.get("fields"), VIDEO_FIELDS)
    query = parse_video_query(body)
    world, now = state.world, state.world.now()
    if query.search_id is not None:
        known = state.searches.get(query.search_id)
        alive = known is not None and (now - known[1]).total_seconds() <= state.search_id_ttl
        if not alive or known is None or known[0] != query.key:
            raise invalid(f"Search Id {query.search_id} is invalid or expired")
        search_id = query.search_id
    else:
        search_id = str(7_000_000_000_000_000_000 + state.rng.getrandbits(60))
        state.searches[search_id] = (query.key, now)
    start = datetime.combine(query.start, time(), tzinfo=now.tzinfo)
    end = datetime.combine(query.end + timedelta(days=1), time(), tzinfo=now.tzinfo)
    state.video_lookups.update(query.video_ids)
    candidates: list[SimPost] = []
    for username in query.usernames:
        profile = world.profile(Platform.TIKTOK, username)
        if profile.state is ProfileState.ACTIVE:
            candidates.extend(world.published_posts(profile, now - state.video_lag))
    for video_id in query.video_ids if not query.usernames else ():
        found = world.find_post(Platform.TIKTOK, video_id)
        if found is not None and found[0].state is ProfileState.ACTIVE:
            candidates.extend(world.published_posts(found[0], now - state.video_lag))
    wanted = set(query.video_ids)
    posts = [
        p
        for p in dict.fromkeys(candidates)
        if start <= p.published_at < end and (not wanted or p.media_id in wanted)
    ]
    posts.sort(key=lambda p: p.media_id, reverse=True)
    page = posts[query.cursor : query.cursor + query.max_count]
    cursor = query.cursor + len(page)
    return {
        "videos": [render_video(world, post, fields) for post in page],
        "cursor": cursor,
        "search_id": search_id,
        "has_more": cursor < len(posts),
    }


def create_app(
    world: World,
    faults: Faults,
    *,
    daily_quota: int = DAILY_QUOTA,
    token_ttl: int = TOKEN_TTL_SECONDS,
    search_id_ttl: float = SEARCH_ID_TTL_SECONDS,
    video_lag_hours: float = 0.0,
) -> web.Application:
    """The TikTok sub-application; mount it at `/tiktok`."""
    app = web.Application()
    app[STATE] = TikTokState(
        world=world,
        faults=faults,
        daily_quota=daily_quota,
        token_ttl=token_ttl,
        search_id_ttl=search_id_ttl,
        video_lag=timedelta(hours=video_lag_hours),
        rng=random.Random(f"tiktok|{world.seed}"),
    )
    app.router.add_post("/v2/oauth/token/", token)
    app.router.add_post("/v2/research/user/info/", _data_endpoint(user_info))
    app.router.add_post("/v2/research/video/query/", _data_endpoint(video_query))
    return app
