"""Writing one profile refresh for every organization that tracks it, in one transaction.

The organizations' locks come first (ascending), then one read of the videos they already
have for the feed's posts, one insert of the new ones, one update of the others' details, the
store's set-based write of the profile and every post (`app.metrics.store`), and one update
of the accounts: a bounded number of statements whatever the number of posts or
organizations, committed together — a worker killed half-way leaves none of it written.
Moving a known post into this account's feed (rare: it was another account's, or nobody's)
costs a few statements of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app import models
from app.metrics import sql, store, versions
from app.metrics.sources import ids, rows
from app.models import Availability
from app.platforms.values import Post, Profile
from app.services.insights import OwnerInsights

__all__ = ["Answer", "counters", "recent_posts", "write_refresh"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What upstream answered for one profile, observed at `moment`."""

    profile: Profile
    posts: list[Post]
    moment: datetime
    insights: OwnerInsights


def recent_posts(account: models.Account, posts: list[Post], moment: datetime) -> list[Post]:
    """The posts the account's organization keeps: its look-back days and recent-post maximum."""
    organization = account.organization
    cutoff = moment - timedelta(days=organization.lookback_days)
    recent = [p for p in posts if p.published_at is None or p.published_at >= cutoff]
    unique: dict[str, Post] = {}
    for post in recent:  # a post listed twice is one post: its first listing wins
        unique.setdefault(post.media_id, post)
    return list(unique.values())[: organization.max_recent_posts]


@dataclass(frozen=True, slots=True)
class _Known:
    id: int
    account_id: int | None


async def _known_videos(
    conn: BaseDBAsyncClient, accounts: Sequence[models.Account], media_ids: set[str]
) -> dict[tuple[int, str], _Known]:
    """The organizations' existing rows for these posts, by (organization, media id)."""
    if not media_ids:
        return {}
    organizations, values = ids(conn, "organization_id", {a.organization_id for a in accounts})
    media, media_values = rows(conn, "m", [("media", "text")], [[m] for m in sorted(media_ids)])
    found = await sql.fetch_rows(
        conn,
        "SELECT id, organization_id, platform_video_id, account_id FROM video "
        f"WHERE {organizations} AND platform = ? AND platform_video_id IN "
        f"(SELECT m.media FROM {media})",
        [*values, accounts[0].platform.value, *media_values],
    )
    return {(int(r[1]), str(r[2])): _Known(int(r[0]), r[3]) for r in found}


_DETAILS = [
    ("shortcode", "text"),
    ("graph_media_id", "text"),
    ("url", "text"),
    ("caption", "text"),
    ("media_type", "text"),
    ("thumbnail_url", "text"),
    ("published_at", "timestamptz"),
]


def _details(post: Post) -> list[Any]:
    return [getattr(post, name) for name, _ in _DETAILS]


async def _insert_videos(
    conn: BaseDBAsyncClient, new: Sequence[tuple[models.Account, Post]], moment: datetime
) -> dict[tuple[int, str], int]:
    """Create the organizations' rows for posts first seen in their feed; their ids."""
    if not new:
        return {}
    columns = [("org", "int"), ("media", "text"), ("owner", "int"), ("handle", "text")]
    columns += _DETAILS
    values = [[a.organization_id, p.media_id, a.id, a.handle, *_details(p)] for a, p in new]
    source, params = rows(conn, "s", columns, values)
    detail_names = ", ".join(name for name, _ in _DETAILS)
    # execute_query sends INSERTs without reading rows back: RETURNING needs a fetch.
    found = await sql.fetch(
        conn,
        "INSERT INTO video (organization_id, platform, platform_video_id, account_id, "
        f"author_handle, {detail_names}, is_individual, scrape_interval_hours, availability, "
        "added_at, discovered_at, first_scrape_at, last_scrape_at) "
        f"SELECT s.org, ?, s.media, s.owner, s.handle, "
        f"{', '.join(f's.{name}' for name, _ in _DETAILS)}, ?, 24, ?, ?, ?, ?, ? "
        f"FROM {source} WHERE true RETURNING id, organization_id, platform_video_id",
        [
            new[0][0].platform.value,
            False,
            Availability.ACTIVE.value,
            datetime.now(UTC),  # when the row was added, as `auto_now_add` would have it
            *[moment] * 3,
            *params,
        ],
    )
    return {(int(r["organization_id"]), str(r["platform_video_id"])): int(r["id"]) for r in found}


async def _update_videos(
    conn: BaseDBAsyncClient, seen: Sequence[tuple[models.Account, Post, _Known]], moment: datetime
) -> None:
    """Refresh the details of posts the organizations already had, as this feed shows them."""
    if not seen:
        return
    columns = [("vid", "int"), ("handle", "text"), *_DETAILS]
    values = [[known.id, a.handle, *_details(p)] for a, p, known in seen]
    source, params = rows(conn, "s", columns, values)
    assignments = ", ".join(f"{name} = s.{name}" for name, _ in _DETAILS)
    await sql.execute(
        conn,
        f"UPDATE video SET {assignments}, author_handle = s.handle, availability = ?, "
        "first_scrape_at = COALESCE(video.first_scrape_at, ?), last_scrape_at = ? "
        f"FROM {source} WHERE video.id = s.vid",
        [Availability.ACTIVE.value, moment, moment, *params],
    )


_ACCOUNT = [
    ("aid", "int"),
    ("platform_user_id", "text"),
    ("display_name", "text"),
    ("biography", "text"),
    ("avatar_url", "text"),
    ("website", "text"),
    ("is_verified", "boolean"),
    ("last_error", "text"),
    ("last_error_at", "timestamptz"),
    ("first_scrape_at", "timestamptz"),
    ("next_scrape_at", "timestamptz"),
]


async def _update_accounts(
    conn: BaseDBAsyncClient, accounts: Sequence[models.Account], answer: Answer
) -> None:
    """Store the profile's details and the refresh's outcome on every account, at once."""
    profile, moment = answer.profile, answer.moment
    values = []
    for account in accounts:
        problem = answer.insights.refused.get(account.id)  # the owner's token was refused
        values.append(
            [
                account.id,
                profile.platform_user_id or account.platform_user_id,
                profile.display_name,
                profile.biography,
                profile.avatar_url,
                profile.website,
                profile.is_verified,
                problem,
                moment if problem else None,
                account.first_scrape_at or moment,
                moment + timedelta(hours=account.scrape_interval_hours),
            ]
        )
    source, params = rows(conn, "s", _ACCOUNT, values)
    assignments = ", ".join(f"{name} = s.{name}" for name, _ in _ACCOUNT[1:])
    await sql.execute(
        conn,
        f"UPDATE account SET {assignments}, availability = ?, last_scrape_at = ? "
        f"FROM {source} WHERE account.id = s.aid",
        [Availability.ACTIVE.value, moment, *params],
    )


def counters(
    post: Post, moment: datetime, *, saves: int | None, shares: int | None
) -> store.VideoCounters:
    """A post's public counters as observed at `moment`, with saves and shares as given."""
    return store.VideoCounters(
        moment,
        views=post.views,
        plays=post.plays,
        likes=post.likes,
        comments=post.comments,
        shares=shares,
        saves=saves,
    )


def _counters(account: models.Account, post: Post, answer: Answer) -> store.VideoCounters:
    saves, shares = post.saves, post.shares
    owned = answer.insights.for_account(account.id)  # None: not connected, public counters only
    if owned is not None:
        saves, shares = owned.get(post.media_id, (None, None))
    return counters(post, answer.moment, saves=saves, shares=shares)


async def write_refresh(accounts: Sequence[models.Account], answer: Answer) -> None:
    """Record one upstream answer for every account row tracking the profile: all or nothing."""
    organizations = {a.organization_id for a in accounts}
    moment = answer.moment
    async with versions.writing(*organizations) as conn:
        await store.lock_organizations(conn, organizations)
        recent = {a.id: recent_posts(a, answer.posts, moment) for a in accounts}
        media_ids = {p.media_id for posts in recent.values() for p in posts}
        known = await _known_videos(conn, accounts, media_ids)
        new = [
            (a, p)
            for a in accounts
            for p in recent[a.id]
            if (a.organization_id, p.media_id) not in known
        ]
        seen = [
            (a, p, found)
            for a in accounts
            for p in recent[a.id]
            if (found := known.get((a.organization_id, p.media_id))) is not None
        ]
        created = await _insert_videos(conn, new, moment)
        await _update_videos(conn, seen, moment)
        for account, _, found in seen:
            if found.account_id != account.id:
                await store.move_video(conn, found.id, account.id)
                await models.Video.filter(id=found.id).using_db(conn).update(discovered_at=moment)
        video_ids = {**created, **{k: v.id for k, v in known.items()}}
        observed = {
            video_ids[(a.organization_id, p.media_id)]: [_counters(a, p, answer)]
            for a in accounts
            for p in recent[a.id]
        }
        profiles = {
            a.id: [
                store.ProfileCounters(
                    moment,
                    followers=answer.profile.followers,
                    following=answer.profile.following,
                    posts=answer.profile.posts_count,
                )
            ]
            for a in accounts
        }
        await store.write_observations(conn, profiles, observed, locked=organizations)
        await _update_accounts(conn, accounts, answer)
