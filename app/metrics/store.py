"""Writing observations: snapshots, an entity's cumulative rows, and its aggregate scopes.

Each call handles one entity in one transaction: it locks the entity, then its account scope,
then its organization scope (always in that order, so concurrent writers cannot deadlock), merges
the new observations into the entity's daily snapshots, re-derives the entity's rows, and moves
the aggregate scopes by the difference. Writing the same observation twice changes nothing.
Each transaction moves the data version of the organizations it wrote to (`app.metrics.versions`)
once, as its last statement.
`record_many` writes many entities in one transaction (the importer's batches), taking every
lock first in the same order. A counter outside [0, MAX_COUNT] (`app.counts`) is refused before
anything is written, so no sum of counters can leave 64 bits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app import models
from app.counts import check_count
from app.identifiers import Platform
from app.metrics import sql, versions
from app.metrics.attribution import (
    COLUMNS,
    COUNTERS,
    CUMULATIVE,
    KNOWN_FROM,
    KnownFrom,
    ProfileObservation,
    RowChanges,
    Rows,
    VideoObservation,
    derive_profile,
    derive_video,
    row_changes,
)
from app.models import ScopeKind
from app.platforms.registry import spec

_COLUMN_LIST = ", ".join(COLUMNS)
_FROM_COLUMNS = tuple(f"{name}_from" for name in KNOWN_FROM)


@dataclass(frozen=True, slots=True)
class VideoCounters:
    """One observation of a video's cumulative counters (None = not reported)."""

    observed_at: datetime
    views: int | None = None
    plays: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None

    def normalised(self, platform: Platform) -> VideoCounters:
        """As the platform reports them: e.g. TikTok's plays are its views and it has no saves."""
        facts = spec(platform)
        plays = self.views if facts.plays_are_views else self.plays
        saves = None if "saves" in facts.never_reported else self.saves
        if plays == self.plays and saves == self.saves:
            return self
        return replace(self, plays=plays, saves=saves)


@dataclass(frozen=True, slots=True)
class ProfileCounters:
    """One observation of an account's profile counters (None = not reported)."""

    observed_at: datetime
    followers: int | None = None
    following: int | None = None
    posts: int | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """A metric scope: what kind of thing, which one."""

    kind: ScopeKind
    id: int


def utc_date(moment: datetime) -> date:
    """The UTC date of a moment (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


_PROFILE_FIELDS = ("followers", "following", "posts")


def _check_counts(observations: Sequence[Any], names: Sequence[str]) -> None:
    """Refuse, before writing anything, a counter outside [0, MAX_COUNT] (`CountOutOfRange`).

    Every source bounds its values already (the importer's bad rows, the platform clients'
    unknown values); this guard keeps a future path from overflowing the aggregate sums.
    """
    for observation in observations:
        for name in names:
            check_count(name, getattr(observation, name))


# --- locking and raw rows --------------------------------------------------------------------


async def _lock(conn: BaseDBAsyncClient, scope: Scope) -> None:
    # SQLite serialises writers by itself; PostgreSQL needs a per-scope lock because
    # inserting a missing row copies its predecessor, which a concurrent update could change.
    if sql.is_postgres(conn):
        await sql.execute(
            conn, "SELECT pg_advisory_xact_lock(?::int, ?::int)", [scope.kind, scope.id]
        )


async def _load_rows(conn: BaseDBAsyncClient, scope: Scope) -> Rows:
    found = await sql.fetch(
        conn,
        f"SELECT day, {_COLUMN_LIST} FROM metric_day WHERE scope_kind = ? AND scope_id = ?",
        [int(scope.kind), scope.id],
    )
    return {sql.as_date(r["day"]): tuple(int(r[c]) for c in COLUMNS) for r in found}


async def _load_known(conn: BaseDBAsyncClient, scope: Scope) -> KnownFrom:
    found = await sql.fetch(
        conn,
        f"SELECT {', '.join(_FROM_COLUMNS)} FROM metric_scope "
        "WHERE scope_kind = ? AND scope_id = ?",
        [int(scope.kind), scope.id],
    )
    if not found:
        return dict.fromkeys(KNOWN_FROM)
    row = found[0]
    return {
        name: (sql.as_date(row[f"{name}_from"]) if row[f"{name}_from"] is not None else None)
        for name in KNOWN_FROM
    }


async def _write_entity_rows(
    conn: BaseDBAsyncClient, organization_id: int, scope: Scope, old: Rows, new: Rows
) -> None:
    gone = [day for day in old if day not in new]
    if gone:
        await sql.execute_many(
            conn,
            "DELETE FROM metric_day WHERE scope_kind = ? AND scope_id = ? AND day = ?",
            [[int(scope.kind), scope.id, day] for day in gone],
        )
    changed = [(day, row) for day, row in new.items() if old.get(day) != row]
    if changed:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS)
        await sql.execute_many(
            conn,
            f"INSERT INTO metric_day (organization_id, scope_kind, scope_id, day, {_COLUMN_LIST}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' for _ in COLUMNS)}) "
            f"ON CONFLICT (scope_kind, scope_id, day) DO UPDATE SET {updates}",
            [[organization_id, int(scope.kind), scope.id, day, *row] for day, row in changed],
        )


async def _write_known(
    conn: BaseDBAsyncClient,
    organization_id: int,
    scope: Scope,
    known: KnownFrom,
    *,
    merge: bool,
) -> None:
    """Store a scope's first-known dates; `merge` keeps the earlier of old and new."""
    columns = ", ".join(_FROM_COLUMNS)
    if merge:
        updates = ", ".join(
            f"{c} = {sql.least(conn, f'metric_scope.{c}', f'excluded.{c}')}" for c in _FROM_COLUMNS
        )
    else:
        updates = ", ".join(f"{c} = excluded.{c}" for c in _FROM_COLUMNS)
    await sql.execute(
        conn,
        f"INSERT INTO metric_scope (organization_id, scope_kind, scope_id, {columns}) "
        f"VALUES (?, ?, ?, {', '.join('?' for _ in _FROM_COLUMNS)}) "
        f"ON CONFLICT (scope_kind, scope_id) DO UPDATE SET {updates}",
        [organization_id, int(scope.kind), scope.id, *(known[name] for name in KNOWN_FROM)],
    )


# --- aggregate scopes ------------------------------------------------------------------------


async def _ensure_rows(
    conn: BaseDBAsyncClient, organization_id: int, scope: Scope, days: Sequence[date]
) -> None:
    """Give the scope a row on each day, holding the cumulative values it has there.

    One statement for all days: each new row copies the latest row before its day as the
    statement found it, which is the value before the change being applied.
    """
    cumulative = ", ".join(CUMULATIVE)
    copied = ", ".join(f"COALESCE(p.{c}, 0)" for c in CUMULATIVE)
    marks = ", ".join(f"({sql.typed(conn, 'date')})" for _ in days)
    await sql.execute(
        conn,
        f"WITH d(day) AS (VALUES {marks}) "
        f"INSERT INTO metric_day (organization_id, scope_kind, scope_id, day, observations, "
        f"{cumulative}) SELECT ?, ?, ?, d.day, 0, {copied} FROM d "
        "LEFT JOIN metric_day p ON p.id = (SELECT x.id FROM metric_day x WHERE "
        "x.scope_kind = ? AND x.scope_id = ? AND x.day < d.day ORDER BY x.day DESC LIMIT 1) "
        "WHERE true ON CONFLICT (scope_kind, scope_id, day) DO NOTHING",
        [*days, organization_id, int(scope.kind), scope.id, int(scope.kind), scope.id],
    )


async def _apply_changes(
    conn: BaseDBAsyncClient, organization_id: int, scope: Scope, changes: RowChanges
) -> None:
    """Move an aggregate scope's rows by a member's change (three statements at most)."""
    moving = [
        (segment, changes.segments[i + 1].start if i + 1 < len(changes.segments) else None)
        for i, segment in enumerate(changes.segments)
        if any(segment.delta)
    ]
    # Every row the change starts on must exist before any value moves.
    days = sorted({segment.start for segment, _ in moving} | set(changes.observations))
    if days:
        await _ensure_rows(conn, organization_id, scope, days)
    if moving:
        date_mark, number_mark = sql.typed(conn, "date"), sql.typed(conn, "bigint")
        row_marks = ", ".join([date_mark, date_mark, *(number_mark for _ in CUMULATIVE)])
        values = ", ".join(f"({row_marks})" for _ in moving)
        names = ", ".join(f"d_{c}" for c in CUMULATIVE)
        assignments = ", ".join(f"{c} = {c} + s.d_{c}" for c in CUMULATIVE)
        await sql.execute(
            conn,
            f"WITH s(start, stop, {names}) AS (VALUES {values}) "
            f"UPDATE metric_day SET {assignments} FROM s "
            "WHERE metric_day.scope_kind = ? AND metric_day.scope_id = ? "
            "AND metric_day.day >= s.start AND (s.stop IS NULL OR metric_day.day < s.stop)",
            [
                *(v for segment, stop in moving for v in (segment.start, stop, *segment.delta)),
                int(scope.kind),
                scope.id,
            ],
        )
    if changes.observations:
        pairs = ", ".join(
            f"({sql.typed(conn, 'date')}, {sql.typed(conn, 'bigint')})"
            for _ in changes.observations
        )
        await sql.execute(
            conn,
            f"WITH o(day, delta) AS (VALUES {pairs}) "
            "UPDATE metric_day SET observations = observations + o.delta FROM o "
            "WHERE metric_day.scope_kind = ? AND metric_day.scope_id = ? "
            "AND metric_day.day = o.day",
            [
                *(v for item in changes.observations.items() for v in item),
                int(scope.kind),
                scope.id,
            ],
        )


def _moved_later(old: KnownFrom, new: KnownFrom) -> bool:
    return any(
        o is not None and (n is None or n > o)
        for o, n in ((old[name], new[name]) for name in KNOWN_FROM)
    )


async def _recompute_known(conn: BaseDBAsyncClient, organization_id: int, scope: Scope) -> None:
    """Recompute an aggregate scope's first-known dates from its members."""
    minimums = ", ".join(f"MIN({c}) AS {c}" for c in _FROM_COLUMNS)
    if scope.kind is ScopeKind.ACCOUNT:
        where = (
            "(scope_kind = ? AND scope_id = ?) OR (scope_kind = ? AND scope_id IN "
            "(SELECT id FROM video WHERE account_id = ?))"
        )
        values: list[object] = [int(ScopeKind.PROFILE), scope.id, int(ScopeKind.VIDEO), scope.id]
    else:
        where = "organization_id = ? AND scope_kind IN (?, ?)"
        values = [scope.id, int(ScopeKind.PROFILE), int(ScopeKind.VIDEO)]
    found = await sql.fetch(conn, f"SELECT {minimums} FROM metric_scope WHERE {where}", values)
    row = found[0] if found else {}
    known: KnownFrom = {
        name: (sql.as_date(v) if (v := row.get(f"{name}_from")) is not None else None)
        for name in KNOWN_FROM
    }
    await _write_known(conn, organization_id, scope, known, merge=False)


async def _propagate(
    conn: BaseDBAsyncClient,
    organization_id: int,
    targets: Sequence[Scope],
    changes: RowChanges,
    old_known: KnownFrom,
    new_known: KnownFrom,
) -> None:
    recompute = _moved_later(old_known, new_known)
    for target in targets:
        if not changes.empty:
            await _apply_changes(conn, organization_id, target, changes)
        if recompute:
            await _recompute_known(conn, organization_id, target)
        elif new_known != old_known:
            await _write_known(conn, organization_id, target, new_known, merge=True)


async def _replace_entity(
    conn: BaseDBAsyncClient,
    organization_id: int,
    entity: Scope,
    targets: Sequence[Scope],
    new_rows: Rows,
    new_known: KnownFrom,
) -> bool:
    """Swap an entity's rows for `new_rows` and move its aggregate scopes; False if unchanged."""
    old_rows = await _load_rows(conn, entity)
    old_known = await _load_known(conn, entity)
    if old_rows == new_rows and old_known == new_known:
        return False
    await _write_entity_rows(conn, organization_id, entity, old_rows, new_rows)
    if new_rows or any(new_known.values()):
        await _write_known(conn, organization_id, entity, new_known, merge=False)
    else:
        await sql.execute(
            conn,
            "DELETE FROM metric_scope WHERE scope_kind = ? AND scope_id = ?",
            [int(entity.kind), entity.id],
        )
    # The entity's own metric_scope row is already updated: recomputing from members sees it.
    await _propagate(
        conn, organization_id, targets, row_changes(old_rows, new_rows), old_known, new_known
    )
    return True


# --- denormalised latest values ----------------------------------------------------------------


def _latest(rows: Rows, known: KnownFrom, name: str) -> int | None:
    if known[name] is None or not rows:
        return None
    return rows[max(rows)][COLUMNS.index(name)]


async def _refresh_account_totals(conn: BaseDBAsyncClient, account_id: int) -> None:
    scope = Scope(ScopeKind.ACCOUNT, account_id)
    known = await _load_known(conn, scope)
    latest = await sql.fetch(
        conn,
        "SELECT views, likes FROM metric_day WHERE scope_kind = ? AND scope_id = ? "
        "ORDER BY day DESC LIMIT 1",
        [int(scope.kind), scope.id],
    )
    views = int(latest[0]["views"]) if latest and known["views"] else None
    likes = int(latest[0]["likes"]) if latest and known["likes"] else None
    await (
        models.Account.filter(id=account_id)
        .using_db(conn)
        .update(total_views=views, total_likes=likes)
    )


# --- videos ------------------------------------------------------------------------------------


def _video_observations(snapshots: Sequence[models.VideoSnapshot]) -> list[VideoObservation]:
    return [
        VideoObservation(s.day, s.views, s.plays, s.likes, s.comments, s.shares, s.saves)
        for s in snapshots
    ]


Counters = VideoCounters | ProfileCounters
SnapshotModel = type[models.VideoSnapshot] | type[models.AccountSnapshot]


async def _merge_snapshots(
    conn: BaseDBAsyncClient,
    model: SnapshotModel,
    owner: dict[str, int],
    incoming: Sequence[Counters],
    fields: Sequence[str],
) -> list[Any]:
    """Keep, per UTC date, the last observation of that date; return all the owner's snapshots."""
    by_day = {s.day: s for s in await model.filter(**owner).using_db(conn)}
    latest: dict[date, Counters] = {}
    for counters in incoming:
        day = utc_date(counters.observed_at)
        if day not in latest or counters.observed_at >= latest[day].observed_at:
            latest[day] = counters
    fresh = []
    for day, counters in latest.items():
        values = {name: getattr(counters, name) for name in ("observed_at", *fields)}
        current = by_day.get(day)
        if current is None:
            fresh.append(model(**owner, day=day, **values))
        elif counters.observed_at >= current.observed_at and any(
            getattr(current, k) != v for k, v in values.items()
        ):
            current.update_from_dict(values)
            await current.save(using_db=conn, update_fields=list(values))
    if fresh:
        await model.bulk_create(fresh, using_db=conn)  # type: ignore[arg-type]
    return sorted([*by_day.values(), *fresh], key=lambda s: s.day)


async def record_video(video_id: int, observations: Sequence[VideoCounters]) -> None:
    """Record observations of a video and update every scope it belongs to."""
    _check_counts(observations, COUNTERS)
    async with versions.writing() as conn:
        await _record_video(conn, video_id, observations)


async def _record_video(
    conn: BaseDBAsyncClient, video_id: int, observations: Sequence[VideoCounters]
) -> None:
    await _lock(conn, Scope(ScopeKind.VIDEO, video_id))
    video = await models.Video.filter(id=video_id).using_db(conn).first()
    if video is None:
        return  # removed meanwhile: nothing to record
    versions.touch(video.organization_id)
    targets = _video_targets(video)
    for target in targets:
        await _lock(conn, target)
    snapshots = await _merge_snapshots(
        conn,
        models.VideoSnapshot,
        {"video_id": video.id},
        [o.normalised(video.platform) for o in observations],
        COUNTERS,
    )
    published = video.published_at.date() if video.published_at else None
    rows, known = derive_video(_video_observations(snapshots), published)
    await _replace_entity(
        conn, video.organization_id, Scope(ScopeKind.VIDEO, video.id), targets, rows, known
    )
    await (
        models.Video.filter(id=video.id)
        .using_db(conn)
        .update(**{name: _latest(rows, known, name) for name in KNOWN_FROM if name != "followers"})
    )
    if video.account_id is not None:
        await _refresh_account_totals(conn, video.account_id)


async def rederive_video(video_id: int) -> None:
    """Re-derive a video's rows from its snapshots and publish date.

    Every code path that creates a video with a publish date or changes it calls this (or
    `record_video`), so that a post counts in `videosPublished` before its first observation.
    """
    await record_video(video_id, [])


def _video_targets(video: models.Video) -> list[Scope]:
    targets = []
    if video.account_id is not None:
        targets.append(Scope(ScopeKind.ACCOUNT, video.account_id))
    targets.append(Scope(ScopeKind.ORGANIZATION, video.organization_id))
    return targets


async def set_video_account(video_id: int, account_id: int | None) -> None:
    """Move a video into (or out of) an account's feed, moving its history with it."""
    async with versions.writing() as conn:
        await _lock(conn, Scope(ScopeKind.VIDEO, video_id))
        video = await models.Video.filter(id=video_id).using_db(conn).first()
        if video is None or video.account_id == account_id:
            return
        versions.touch(video.organization_id)
        accounts = sorted(a for a in (video.account_id, account_id) if a is not None)
        for account in accounts:
            await _lock(conn, Scope(ScopeKind.ACCOUNT, account))
        entity = Scope(ScopeKind.VIDEO, video.id)
        rows = await _load_rows(conn, entity)
        known = await _load_known(conn, entity)
        previous = video.account_id
        await models.Video.filter(id=video.id).using_db(conn).update(account_id=account_id)
        nothing: KnownFrom = dict.fromkeys(KNOWN_FROM)
        if previous is not None:
            await _propagate(
                conn,
                video.organization_id,
                [Scope(ScopeKind.ACCOUNT, previous)],
                row_changes(rows, {}),
                known,
                nothing,
            )
            await _refresh_account_totals(conn, previous)
        if account_id is not None:
            await _propagate(
                conn,
                video.organization_id,
                [Scope(ScopeKind.ACCOUNT, account_id)],
                row_changes({}, rows),
                nothing,
                known,
            )
            await _refresh_account_totals(conn, account_id)


async def forget_video(video_id: int) -> None:
    """Delete a video and take its history out of every scope."""
    async with versions.writing() as conn:
        await _lock(conn, Scope(ScopeKind.VIDEO, video_id))
        video = await models.Video.filter(id=video_id).using_db(conn).first()
        if video is None:
            return
        versions.touch(video.organization_id)
        targets = _video_targets(video)
        for target in targets:
            await _lock(conn, target)
        await _replace_entity(
            conn,
            video.organization_id,
            Scope(ScopeKind.VIDEO, video.id),
            targets,
            {},
            dict.fromkeys(KNOWN_FROM),
        )
        await models.Video.filter(id=video.id).using_db(conn).delete()
        if video.account_id is not None:
            await _refresh_account_totals(conn, video.account_id)


# --- accounts ----------------------------------------------------------------------------------


def _last_known(snapshots: Sequence[models.AccountSnapshot], name: str) -> int | None:
    for snapshot in reversed(snapshots):
        value: int | None = getattr(snapshot, name)
        if value is not None:
            return value
    return None


async def record_profile(account_id: int, observations: Sequence[ProfileCounters]) -> None:
    """Record observations of an account's profile and update its scopes."""
    _check_counts(observations, _PROFILE_FIELDS)
    async with versions.writing() as conn:
        await _record_profile(conn, account_id, observations)


async def _record_profile(
    conn: BaseDBAsyncClient, account_id: int, observations: Sequence[ProfileCounters]
) -> None:
    entity = Scope(ScopeKind.PROFILE, account_id)
    await _lock(conn, entity)
    account = await models.Account.filter(id=account_id).using_db(conn).first()
    if account is None:
        return
    versions.touch(account.organization_id)
    targets = [
        Scope(ScopeKind.ACCOUNT, account.id),
        Scope(ScopeKind.ORGANIZATION, account.organization_id),
    ]
    for target in targets:
        await _lock(conn, target)
    snapshots = await _merge_snapshots(
        conn, models.AccountSnapshot, {"account_id": account.id}, observations, _PROFILE_FIELDS
    )
    rows, known = derive_profile([ProfileObservation(s.day, s.followers) for s in snapshots])
    await _replace_entity(conn, account.organization_id, entity, targets, rows, known)
    await (
        models.Account.filter(id=account.id)
        .using_db(conn)
        .update(
            followers=_last_known(snapshots, "followers"),
            following=_last_known(snapshots, "following"),
            posts_count=_last_known(snapshots, "posts"),
        )
    )


async def record_many(
    profiles: Mapping[int, Sequence[ProfileCounters]],
    videos: Mapping[int, Sequence[VideoCounters]],
) -> None:
    """Record the observations of many profiles and videos in one transaction: all or nothing.

    Every lock is taken before anything is written, in the order all writers follow (videos,
    then profiles, by id; then their account scopes; then organizations), so a batch waits for
    a refresh writing one of its entities but cannot deadlock with it. Each entity costs a lock
    until the commit: callers keep batches to hundreds of entities, not millions.
    """
    for video_observations in videos.values():
        _check_counts(video_observations, COUNTERS)
    for profile_observations in profiles.values():
        _check_counts(profile_observations, _PROFILE_FIELDS)
    async with versions.writing() as conn:
        for video_id in sorted(videos):
            await _lock(conn, Scope(ScopeKind.VIDEO, video_id))
        for account_id in sorted(profiles):
            await _lock(conn, Scope(ScopeKind.PROFILE, account_id))
        owners = (
            await models.Video.filter(id__in=list(videos))
            .using_db(conn)
            .values_list("account_id", "organization_id")
        )
        owners += (
            await models.Account.filter(id__in=list(profiles))
            .using_db(conn)
            .values_list("id", "organization_id")
        )
        for account_id in sorted({a for a, _ in owners if a is not None}):
            await _lock(conn, Scope(ScopeKind.ACCOUNT, account_id))
        for organization_id in sorted({o for _, o in owners}):
            await _lock(conn, Scope(ScopeKind.ORGANIZATION, organization_id))
        for account_id, profile_observations in profiles.items():
            await _record_profile(conn, account_id, profile_observations)
        for video_id, video_observations in videos.items():
            await _record_video(conn, video_id, video_observations)


async def forget_account(account_id: int, video_ids: Sequence[int]) -> None:
    """Take an account's profile and the given feed videos out of the organization's totals.

    The account scope itself is dropped; the caller deletes the rows of the account and videos.
    """
    async with versions.writing() as conn:
        for video_id in sorted(video_ids):
            await _lock(conn, Scope(ScopeKind.VIDEO, video_id))
        await _lock(conn, Scope(ScopeKind.PROFILE, account_id))
        account = await models.Account.filter(id=account_id).using_db(conn).first()
        if account is None:
            return
        versions.touch(account.organization_id)
        org = Scope(ScopeKind.ORGANIZATION, account.organization_id)
        await _lock(conn, Scope(ScopeKind.ACCOUNT, account_id))
        await _lock(conn, org)
        members = [Scope(ScopeKind.PROFILE, account_id)] + [
            Scope(ScopeKind.VIDEO, v) for v in video_ids
        ]
        for member in members:
            await _replace_entity(
                conn, account.organization_id, member, [org], {}, dict.fromkeys(KNOWN_FROM)
            )
        await sql.execute(
            conn,
            "DELETE FROM metric_day WHERE scope_kind = ? AND scope_id = ?",
            [int(ScopeKind.ACCOUNT), account_id],
        )
        await sql.execute(
            conn,
            "DELETE FROM metric_scope WHERE scope_kind = ? AND scope_id = ?",
            [int(ScopeKind.ACCOUNT), account_id],
        )
