"""Writing observations: snapshots, entities' cumulative rows, and their aggregate scopes.

Every write is one transaction of a bounded number of statements, whatever the number of
entities, observations or rows (`app.metrics.write_plan`): it takes the advisory lock of each
organization it writes to, in ascending id order and before anything else (every scope belongs
to its entity's organization, so concurrent writers cannot deadlock), reads every entity's
snapshots and rows at once, merges and re-derives them in Python (`app.metrics.attribution`,
the one implementation of SPEC §4), and writes the differences set-based. Writing the same
observation twice changes nothing. Each transaction moves the data version of the
organizations it wrote to (`app.metrics.versions`) as its last statement. A counter outside
[0, MAX_COUNT] (`app.counts`) is refused before anything is written, so no sum of counters can
leave 64 bits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from app.metrics import bulk_read, bulk_write, sql, versions
from app.metrics.attribution import (
    COUNTERS,
    KnownFrom,
    ProfileObservation,
    Rows,
    VideoObservation,
    derive_profile,
    derive_video,
)
from app.metrics.observations import (
    PROFILE_FIELDS,
    ProfileCounters,
    VideoCounters,
    check_counts,
    utc_date,
)
from app.metrics.scopes import Scope
from app.metrics.snapshots import merge_snapshots
from app.metrics.write_plan import NOTHING_KNOWN, WritePlan
from app.models import ScopeKind

__all__ = [
    "ProfileCounters",
    "Scope",
    "VideoCounters",
    "forget_account",
    "forget_video",
    "lock_organizations",
    "move_video",
    "record_many",
    "record_profile",
    "record_video",
    "rederive_video",
    "set_video_account",
    "utc_date",
    "write_observations",
]

History = tuple[Rows, KnownFrom]  # an entity's stored rows and first-known dates


async def lock_organizations(conn: BaseDBAsyncClient, organization_ids: Collection[int]) -> None:
    """Take each organization's write lock, in ascending order, until the transaction ends.

    SQLite serialises writers by itself. On PostgreSQL, re-taking a lock the transaction holds
    is free, so a caller may lock first and call the store inside the same transaction.
    """
    if not organization_ids or not sql.is_postgres(conn):
        return
    # A volatile function in the select list runs after the sort: the locks come in id order.
    await sql.execute(
        conn,
        "SELECT pg_advisory_xact_lock(?::int, o) FROM unnest(?::int[]) AS u(o) ORDER BY o",
        [int(ScopeKind.ORGANIZATION), sorted(set(organization_ids))],
    )


def _video_targets(video: bulk_read.VideoFacts) -> list[Scope]:
    targets = [] if video.account_id is None else [Scope(ScopeKind.ACCOUNT, video.account_id)]
    return [*targets, Scope(ScopeKind.ORGANIZATION, video.organization_id)]


async def _locked(
    conn: BaseDBAsyncClient, account_ids: Collection[int], video_ids: Collection[int]
) -> None:
    """Lock the organizations of these accounts and videos (an entity never changes its own)."""
    await lock_organizations(conn, await bulk_read.organizations_of(conn, account_ids, video_ids))


async def write_observations(
    conn: BaseDBAsyncClient,
    profiles: Mapping[int, Sequence[ProfileCounters]],
    videos: Mapping[int, Sequence[VideoCounters]],
    *,
    locked: Collection[int] | None = None,
) -> None:
    """Record many profiles' and videos' observations inside the caller's transaction.

    `locked`: the organizations whose locks the caller took already (`lock_organizations`), in
    this transaction; every entity must belong to one of them. None: they are looked up and
    locked here.
    """
    for video_observations in videos.values():
        check_counts(video_observations, COUNTERS)
    for profile_observations in profiles.values():
        check_counts(profile_observations, PROFILE_FIELDS)
    if locked is None:
        await _locked(conn, profiles, videos)
    facts = await bulk_read.video_facts(conn, videos)  # removed meanwhile: nothing to record
    accounts = await bulk_read.account_organizations(conn, profiles)
    video_organizations = {v.organization_id for v in facts.values()}
    profile_organizations = set(accounts.values())
    organizations = video_organizations | profile_organizations
    if locked is not None and not organizations <= set(locked):
        raise RuntimeError("write_observations: an entity of an organization not locked")
    stored_videos = await bulk_read.snapshots(
        conn, "video_snapshot", "video_id", COUNTERS, facts, video_organizations
    )
    stored_profiles = await bulk_read.snapshots(
        conn, "account_snapshot", "account_id", PROFILE_FIELDS, accounts, profile_organizations
    )
    entities = [Scope(ScopeKind.VIDEO, v) for v in facts]
    entities += [Scope(ScopeKind.PROFILE, a) for a in accounts]
    old_rows = await bulk_read.entity_rows(conn, entities, organizations)
    old_known = await bulk_read.entity_known(conn, entities, organizations)
    for organization_id in organizations:
        versions.touch(organization_id)
    plan = WritePlan()
    for video in facts.values():
        incoming = [o.normalised(video.platform) for o in videos[video.id]]
        merged, written = merge_snapshots(stored_videos[video.id], incoming, COUNTERS)
        plan.snapshots(video.organization_id, ScopeKind.VIDEO, video.id, written)
        observations = [VideoObservation(day, *merged[day][1:]) for day in sorted(merged)]
        new = derive_video(observations, video.published)
        scope = Scope(ScopeKind.VIDEO, video.id)
        old = (old_rows[scope], old_known[scope])
        plan.replace_entity(video.organization_id, scope, _video_targets(video), old, new)
        plan.video_counters(video.id, *new)
        if video.account_id is not None:
            plan.account_totals.add(video.account_id)
    for account_id, organization_id in accounts.items():
        merged, written = merge_snapshots(
            stored_profiles[account_id], profiles[account_id], PROFILE_FIELDS
        )
        plan.snapshots(organization_id, ScopeKind.PROFILE, account_id, written)
        new = derive_profile([ProfileObservation(day, merged[day][1]) for day in sorted(merged)])
        scope = Scope(ScopeKind.PROFILE, account_id)
        targets = [
            Scope(ScopeKind.ACCOUNT, account_id),
            Scope(ScopeKind.ORGANIZATION, organization_id),
        ]
        plan.replace_entity(
            organization_id, scope, targets, (old_rows[scope], old_known[scope]), new
        )
        plan.profile_counters(account_id, merged)
    await plan.write(conn)


async def record_many(
    profiles: Mapping[int, Sequence[ProfileCounters]],
    videos: Mapping[int, Sequence[VideoCounters]],
) -> None:
    """Record the observations of many profiles and videos in one transaction: all or nothing."""
    async with versions.writing() as conn:
        await write_observations(conn, profiles, videos)


async def record_video(video_id: int, observations: Sequence[VideoCounters]) -> None:
    """Record observations of a video and update every scope it belongs to."""
    await record_many({}, {video_id: observations})


async def record_profile(account_id: int, observations: Sequence[ProfileCounters]) -> None:
    """Record observations of an account's profile and update its scopes."""
    await record_many({account_id: observations}, {})


async def rederive_video(video_id: int) -> None:
    """Re-derive a video's rows from its snapshots and publish date.

    Every code path that creates a video with a publish date or changes it calls this (or
    `record_video`), so that a post counts in `videosPublished` before its first observation.
    """
    await record_video(video_id, [])


async def _stored(
    conn: BaseDBAsyncClient, organization_id: int, scopes: Sequence[Scope]
) -> dict[Scope, History]:
    rows = await bulk_read.entity_rows(conn, scopes, [organization_id])
    known = await bulk_read.entity_known(conn, scopes, [organization_id])
    return {scope: (rows[scope], known[scope]) for scope in scopes}


async def set_video_account(video_id: int, account_id: int | None) -> None:
    """Move a video into (or out of) an account's feed, moving its history with it."""
    async with versions.writing() as conn:
        await move_video(conn, video_id, account_id)


async def move_video(conn: BaseDBAsyncClient, video_id: int, account_id: int | None) -> None:
    """`set_video_account` inside the caller's transaction."""
    await _locked(conn, (), [video_id])
    video = (await bulk_read.video_facts(conn, [video_id])).get(video_id)
    if video is None or video.account_id == account_id:
        return
    versions.touch(video.organization_id)
    scope = Scope(ScopeKind.VIDEO, video_id)
    history = (await _stored(conn, video.organization_id, [scope]))[scope]
    await sql.execute(conn, "UPDATE video SET account_id = ? WHERE id = ?", [account_id, video_id])
    plan = WritePlan()
    nothing: History = ({}, NOTHING_KNOWN)
    if video.account_id is not None:
        previous = [Scope(ScopeKind.ACCOUNT, video.account_id)]
        plan.move(video.organization_id, previous, history, nothing)
        plan.account_totals.add(video.account_id)
    if account_id is not None:
        plan.move(video.organization_id, [Scope(ScopeKind.ACCOUNT, account_id)], nothing, history)
        plan.account_totals.add(account_id)
    await plan.write(conn)


async def forget_video(video_id: int) -> None:
    """Delete a video and take its history out of every scope."""
    async with versions.writing() as conn:
        await _locked(conn, (), [video_id])
        video = (await bulk_read.video_facts(conn, [video_id])).get(video_id)
        if video is None:
            return
        versions.touch(video.organization_id)
        scope = Scope(ScopeKind.VIDEO, video_id)
        plan = WritePlan()
        history = (await _stored(conn, video.organization_id, [scope]))[scope]
        plan.replace_entity(
            video.organization_id, scope, _video_targets(video), history, ({}, NOTHING_KNOWN)
        )
        if video.account_id is not None:
            plan.account_totals.add(video.account_id)
        await plan.write(conn)
        await sql.execute(conn, "DELETE FROM video WHERE id = ?", [video_id])


async def forget_account(account_id: int, video_ids: Sequence[int]) -> None:
    """Take an account's profile and the given feed videos out of the organization's totals.

    The account scope itself is dropped; the caller deletes the rows of the account and videos.
    """
    async with versions.writing() as conn:
        await _locked(conn, [account_id], ())
        organization_id = (await bulk_read.account_organizations(conn, [account_id])).get(
            account_id
        )
        if organization_id is None:
            return
        versions.touch(organization_id)
        organization = [Scope(ScopeKind.ORGANIZATION, organization_id)]
        members = [Scope(ScopeKind.PROFILE, account_id)]
        members += [Scope(ScopeKind.VIDEO, v) for v in video_ids]
        plan = WritePlan()
        for member, history in (await _stored(conn, organization_id, members)).items():
            plan.replace_entity(organization_id, member, organization, history, ({}, NOTHING_KNOWN))
        await plan.write(conn)
        account = Scope(ScopeKind.ACCOUNT, account_id)
        await bulk_write.delete_scope(conn, organization_id, account)
