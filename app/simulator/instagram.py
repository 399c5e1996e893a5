"""Simulated Instagram Graph API: Business Discovery and owner media insights (PLATFORMS.md §1).

`GET /{version}/{ig_user_id}?fields=business_discovery.username(X){…}` answers with only the
requested fields, string ids, omitted (never null) `view_count`/`like_count`, nested cursor
paging without `next`, and `X-App-Usage` on every response. `GET /{version}/{media}/insights`
serves `saved`/`shares` to the media owner's token (`owner-<handle>`) on connected profiles;
Graph media ids are not derivable, so insights only know media this app has already served.
Errors use the Graph envelope; faults come from `Faults`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from app.identifiers import Platform
from app.simulator.faults import Faults
from app.simulator.instagram_fields import (
    INSIGHT_TITLES,
    MEDIA_FIELDS,
    PROFILE_FIELDS,
    FieldNode,
    FieldSyntaxError,
    check_fields,
    parse_fields,
    render_media,
)
from app.simulator.world import ProfileState, SimPost, SimProfile, World

APP_TOKEN = "simulator-token"
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80002: "(#80002) There have been too many calls to this Instagram account.",
}
NO_PERMISSION = "(#10) Application does not have permission for this action"
_HANDLE = re.compile(r"[a-z0-9._]{1,30}")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class GraphError(Exception):
    """An error the simulator answers in the Graph envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        status: int = 400,
        transient: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.subcode = code, message, subcode
        self.status, self.transient, self.headers = status, transient, headers or {}


@dataclass
class _State:
    world: World
    faults: Faults
    access_token: str
    throttle_status: int
    rate_limit_code: int
    hourly_budget: int
    last_page: Literal["omit_after", "omit_paging"]
    trace: random.Random
    calls: dict[str, int] = field(default_factory=dict)
    media_owner: dict[str, str] = field(default_factory=dict)
    discoveries: Counter[str] = field(default_factory=Counter)  # business_discovery per name

    def usage(self, percent: int | None = None) -> str:
        count = percent if percent is not None else self._percent()
        return json.dumps({"call_count": count, "total_time": count // 2, "total_cputime": 1})

    def _percent(self) -> int:
        calls = self.calls.get(self.world.now().strftime("%Y%m%d%H"), 0)
        return min(100, calls * 100 // self.hourly_budget)


STATE = web.AppKey("instagram_state", _State)


def create_app(
    world: World,
    faults: Faults,
    *,
    access_token: str = APP_TOKEN,
    throttle_status: int = 400,
    rate_limit_code: int = 4,
    hourly_budget: int = 10_000,
    last_page: Literal["omit_after", "omit_paging"] = "omit_after",
) -> web.Application:
    """The Instagram sub-application (mounted at `/instagram` by the simulator).

    `throttle_status` (400 or 403) and `rate_limit_code` (4, 17, 32, 613, 80002) shape the
    injected throttling error; `hourly_budget` is the call count per simulated hour at which
    `X-App-Usage` reaches 100 % and code 4 follows; `last_page` picks the end-of-paging signal.
    """
    app = web.Application(middlewares=[_envelope])
    app[STATE] = _State(
        world, faults, access_token, throttle_status, rate_limit_code, hourly_budget, last_page,
        random.Random(world.seed),
    )  # fmt: skip
    app.router.add_get("/{version}/{node}/insights", _insights)
    app.router.add_get("/{version}/{node}", _node)
    return app


@web.middleware
async def _envelope(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Latency, faults, usage accounting and the error envelope around every request."""
    state = request.app[STATE]
    faults = state.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    hour = state.world.now().strftime("%Y%m%d%H")
    state.calls[hour] = state.calls.get(hour, 0) + 1
    fault = faults.draw()
    usage = state.usage()
    try:
        if fault == "rate_limit":
            usage = state.usage(100)
            raise _throttled(state, state.rate_limit_code)
        if json.loads(usage)["call_count"] >= 100:
            raise _throttled(state, 4)
        if fault == "server_error":
            raise GraphError(
                2, "An unexpected error has occurred. Please retry your request later.",
                status=500, transient=True,
            )  # fmt: skip
        if fault == "timeout":
            await asyncio.sleep(faults.timeout_seconds)
        if fault == "malformed":
            response: web.StreamResponse = web.Response(text="<html>oops", content_type="text/html")
        else:
            response = await handler(request)
    except GraphError as error:
        body: dict[str, Any] = {"message": error.message, "type": "OAuthException"}
        body["code"] = error.code
        if error.subcode is not None:
            body["error_subcode"] = error.subcode
        if error.transient is not None:
            body["is_transient"] = error.transient
        body["fbtrace_id"] = "".join(state.trace.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", k=11))
        response = web.json_response({"error": body}, status=error.status, headers=error.headers)
    response.headers["X-App-Usage"] = usage
    return response


def _throttled(state: _State, code: int) -> GraphError:
    headers = {}
    if code == 80002:
        usage = [{"type": "instagram", "call_count": 100, "total_cputime": 25, "total_time": 25,
                  "estimated_time_to_regain_access": 19}]  # fmt: skip
        headers["X-Business-Use-Case-Usage"] = json.dumps({"17841400000000000": usage})
    return GraphError(
        code, RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limited"),
        status=state.throttle_status, transient=True, headers=headers,
    )  # fmt: skip


def _token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ").strip()
    return request.query.get("access_token")


def _bad_token() -> GraphError:
    return GraphError(190, "Error validating access token: Session has expired.", subcode=463)


async def _node(request: web.Request) -> web.Response:
    """GET /{version}/{ig_user_id}?fields=…: the caller's node with Business Discovery."""
    state = request.app[STATE]
    if _token(request) != state.access_token:
        raise _bad_token()
    node_id = request.match_info["node"]
    if not node_id.isdigit():
        raise GraphError(
            100, f"(#100) Unsupported get request. Object with ID '{node_id}'", subcode=33
        )
    body: dict[str, Any] = {}
    try:
        for node in parse_fields(request.query.get("fields", "id")):
            if node.name == "business_discovery":
                body["business_discovery"] = _discovery(state, node)
            elif node.name != "id":
                raise FieldSyntaxError(f"Tried accessing nonexisting field ({node.name})")
    except FieldSyntaxError as error:
        raise GraphError(100, f"(#100) {error}") from error
    body["id"] = node_id
    return web.json_response(body)


def _discovery(state: _State, node: FieldNode) -> dict[str, Any]:
    handle = node.modifiers.get("username", "").lower()
    if not handle:
        raise GraphError(100, "(#100) Missing username for business discovery")
    state.discoveries[handle] += 1
    profile = state.world.profile(Platform.INSTAGRAM, handle)
    if not _HANDLE.fullmatch(handle) or profile.state in (
        ProfileState.NOT_FOUND,
        ProfileState.PRIVATE,
    ):
        raise GraphError(110, "Invalid user id", subcode=2207013)
    if profile.state is ProfileState.RESTRICTED:
        raise GraphError(10, NO_PERMISSION)
    check_fields(node.child_names(), PROFILE_FIELDS, "IGUser")
    posts = state.world.published_posts(profile)
    values: dict[str, Callable[[], Any]] = {
        "ig_id": lambda: int(profile.user_id) % 10**10,
        "username": lambda: profile.handle,
        "name": lambda: profile.display_name,
        "biography": lambda: profile.biography,
        "website": lambda: profile.website,
        "profile_picture_url": lambda: profile.avatar_url,
        "followers_count": lambda: state.world.followers(profile),
        "follows_count": lambda: profile.following,
        "media_count": lambda: len(posts),
    }
    out: dict[str, Any] = {}
    for child in node.children or ():
        if child.name == "media":
            out["media"] = _media_edge(state, profile, posts, child)
        elif child.name in values:
            out[child.name] = values[child.name]()
    out["id"] = profile.user_id
    return out


def _cursor(post: SimPost) -> str:
    return base64.urlsafe_b64encode(f"ig1:{post.media_id}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("ig1:"):
            return int(text.removeprefix("ig1:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise GraphError(100, "(#100) Invalid cursor")


def _media_edge(
    state: _State, profile: SimProfile, posts: list[SimPost], node: FieldNode
) -> dict[str, Any]:
    check_fields(node.child_names(), MEDIA_FIELDS, "IGMedia")
    raw_limit = node.modifiers.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise GraphError(100, f"(#100) The parameter limit must be between 1 and {MAX_LIMIT}")
    limit, start = int(raw_limit), 0
    if "after" in node.modifiers:
        after = _uncursor(node.modifiers["after"])
        start = sum(1 for p in posts if p.media_id >= after)
    elif "before" in node.modifiers:
        before = _uncursor(node.modifiers["before"])
        start = max(0, sum(1 for p in posts if p.media_id > before) - limit)
    page = posts[start : start + limit]
    if not page:
        return {"data": []}
    now_counters = {p.media_id: state.world.counters(p) for p in page}
    fields = node.child_names()
    data = [render_media(p, now_counters[p.media_id], fields) for p in page]
    state.media_owner.update((p.graph_id, profile.handle) for p in page)
    cursors = {"before": _cursor(page[0]), "after": _cursor(page[-1])}
    if start + len(page) >= len(posts):
        if state.last_page == "omit_paging":
            return {"data": data}
        del cursors["after"]
    return {"data": data, "paging": {"cursors": cursors}}


async def _insights(request: web.Request) -> web.Response:
    """GET /{version}/{graph_media_id}/insights?metric=saved,shares: owner-only metrics."""
    state = request.app[STATE]
    token, media_id = _token(request), request.match_info["node"]
    if token is None or (token != state.access_token and not token.startswith("owner-")):
        raise _bad_token()
    handle = state.media_owner.get(media_id)
    if handle is None:
        raise GraphError(
            100, f"(#100) Unsupported get request. Object with ID '{media_id}'", subcode=33
        )
    profile = state.world.profile(Platform.INSTAGRAM, handle)
    if token != f"owner-{handle}" or not profile.connected:
        raise GraphError(10, NO_PERMISSION)
    metrics = [m.strip() for m in request.query.get("metric", "").split(",") if m.strip()]
    if not metrics or any(m not in INSIGHT_TITLES for m in metrics):
        raise GraphError(100, f"(#100) metric must be one of: {', '.join(INSIGHT_TITLES)}")
    post = next(p for p in profile.posts if p.graph_id == media_id)
    counters = state.world.counters(post)
    values = {"saved": counters.saves, "shares": counters.shares, "likes": counters.likes,
              "comments": counters.comments, "views": counters.views}  # fmt: skip
    data = [
        {"name": name, "period": "lifetime", "values": [{"value": values[name]}],
         "title": INSIGHT_TITLES[name], "id": f"{media_id}/insights/{name}/lifetime"}
        for name in metrics if values[name] is not None
    ]  # fmt: skip
    return web.json_response({"data": data})
