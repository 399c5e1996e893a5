"""TikTok Research API request parsing and response rendering for the simulator.

Pure functions: validate `fields`, the video query body and its dates, and render users and
videos as the Research API does (requested fields only, int64 ids as bare JSON numbers,
key order varying per video, a counter occasionally missing). Bad input raises `ApiError`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.simulator.world import SimPost, SimProfile, World

USER_FIELDS = frozenset(
    {
        "display_name",
        "bio_description",
        "avatar_url",
        "is_verified",
        "follower_count",
        "following_count",
        "likes_count",
        "video_count",
        "bio_url",
    }
)
VIDEO_FIELDS = frozenset(
    "id video_description create_time region_code share_count view_count like_count "
    "comment_count music_id hashtag_names username effect_ids playlist_id voice_to_text "
    "is_stem_verified favorites_count video_duration hashtag_info_list sticker_info_list "
    "effect_info_list video_mention_list video_label video_tag".split()
)
COUNTERS = ("view_count", "like_count", "comment_count", "share_count", "favorites_count")
MAX_WINDOW_DAYS = 30
MAX_COUNT = 100
MISSING_COUNTER_CHANCE = 0.15


class ApiError(Exception):
    """An error answer in the data envelope: HTTP status, `error.code`, `error.message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> ApiError:
    """A 400 `invalid_params` error."""
    return ApiError(400, "invalid_params", message)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def parse_fields(raw: str | None, allowed: frozenset[str]) -> list[str]:
    """The comma-separated `fields` query parameter, validated, in the caller's order."""
    fields = [f.strip() for f in (raw or "").split(",") if f.strip()]
    if not fields:
        raise invalid("Field fields is required")
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise invalid(f"Invalid fields: {','.join(unknown)}")
    return list(dict.fromkeys(fields))


def _parse_date(body: dict[str, Any], name: str) -> date:
    raw = body.get(name)
    try:
        return datetime.strptime(str(raw), "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise invalid(f"Invalid {name}: {raw!r}, expected YYYYMMDD") from None


@dataclass(frozen=True, slots=True)
class VideoQuery:
    """A validated `video/query` body."""

    usernames: tuple[str, ...]
    video_ids: tuple[int, ...]
    start: date
    end: date
    max_count: int
    cursor: int
    search_id: str | None
    key: str  # identifies the query and dates, to tie a search_id to them


def parse_video_query(body: Any) -> VideoQuery:
    """Validate the body: `query.and` of username/video_id EQ/IN, dates ≤ 30 days, count ≤ 100.

    Conditions on different fields are ANDed, values within one field ORed, as upstream.
    """
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    query = body.get("query")
    clauses = query.get("and") if isinstance(query, dict) else None
    if not isinstance(clauses, list) or not clauses:
        raise invalid("query must have a non-empty 'and' list (the simulator supports only that)")
    values_by_field: dict[str, list[str]] = {"username": [], "video_id": []}
    for clause in clauses:
        name = clause.get("field_name") if isinstance(clause, dict) else None
        if not isinstance(clause, dict) or name not in values_by_field:
            raise invalid("The simulator supports only username and video_id conditions")
        values = clause.get("field_values")
        if clause.get("operation") not in ("EQ", "IN") or not isinstance(values, list):
            raise invalid(f"{name} conditions must use EQ or IN with field_values")
        values_by_field[name].extend(str(v) for v in values)
    usernames = values_by_field["username"]
    try:
        video_ids = [int(v) for v in values_by_field["video_id"]]
    except ValueError:
        raise invalid("video_id values must be numeric") from None
    start, end = _parse_date(body, "start_date"), _parse_date(body, "end_date")
    if end < start:
        raise invalid("end_date must not be before start_date")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise invalid("The time range between start_date and end_date must be at most 30 days")
    max_count, cursor = body.get("max_count", 20), body.get("cursor", 0)
    if type(max_count) is not int or not 1 <= max_count <= MAX_COUNT:
        raise invalid(f"Invalid max_count {max_count!r}: must be between 1 and {MAX_COUNT}")
    if type(cursor) is not int or cursor < 0:
        raise invalid(f"Invalid count or cursor: {cursor!r}")
    search_id = body.get("search_id")
    key = f"{sorted(usernames)}|{sorted(video_ids)}|{start}|{end}"
    return VideoQuery(
        tuple(usernames),
        tuple(video_ids),
        start,
        end,
        max_count,
        cursor,
        str(search_id) if search_id else None,
        key,
    )


def render_user(world: World, profile: SimProfile, fields: list[str]) -> dict[str, Any]:
    """User info with only the requested fields."""
    published = world.published_posts(profile)
    values: dict[str, Any] = {
        "display_name": profile.display_name,
        "bio_description": profile.biography,
        "avatar_url": profile.avatar_url,
        "bio_url": profile.website,
        "is_verified": profile.is_verified,
        "follower_count": world.followers(profile),
        "following_count": profile.following,
        "likes_count": sum(world.counters(p).likes or 0 for p in published),
        "video_count": len(published),
    }
    return {name: values[name] for name in fields}


def render_video(world: World, post: SimPost, fields: list[str]) -> dict[str, Any]:
    """One video: requested fields only, deterministic shuffled key order, maybe a counter gone."""
    counters = world.counters(post)
    values: dict[str, Any] = {
        "id": post.media_id,
        "create_time": int(post.published_at.timestamp()),
        "username": post.author,
        "video_description": post.caption,
        "region_code": "US",
        "video_duration": post.duration,
        "hashtag_names": ["sim"],
        "music_id": 7000000000000000000 + post.media_id % 10**15,
        "view_count": counters.views,
        "like_count": counters.likes,
        "comment_count": counters.comments,
        "share_count": counters.shares,
        "favorites_count": counters.saves,
    }
    requested = [f for f in fields if values.get(f) is not None]
    counters_present = [f for f in requested if f in COUNTERS]
    if counters_present and _unit(world.seed, "missing", post.media_id) < MISSING_COUNTER_CHANCE:
        pick = int(_unit(world.seed, "which", post.media_id) * len(counters_present))
        requested.remove(counters_present[pick])
    random.Random(f"{world.seed}|{post.media_id}").shuffle(requested)
    return {name: values[name] for name in requested}
