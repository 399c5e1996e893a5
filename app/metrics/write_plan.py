"""A set-based store write, planned in Python and sent as one statement per kind of change.

Planning collects, for every entity written, its snapshots to store, its rows and first-known
dates to replace, and each aggregate scope's member changes; `write` then sends them in the
order the statements depend on: snapshots, entity rows and dates, aggregate rows (ensured,
then moved), aggregate dates (merged or recomputed from the entities' new dates), and the
denormalised latest values. The statement count depends on which kinds of change occur, never
on how many entities or rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.metrics import bulk_write
from app.metrics.attribution import COUNTERS, KNOWN_FROM, KnownFrom, Rows, row_changes
from app.metrics.bulk_read import Snapshot
from app.metrics.combine import MemberChange, ScopeMove, combine
from app.metrics.observations import PROFILE_FIELDS
from app.metrics.scopes import Scope
from app.models import ScopeKind

__all__ = ["NOTHING_KNOWN", "WritePlan"]

NOTHING_KNOWN: KnownFrom = dict.fromkeys(KNOWN_FROM)


def _key(organization_id: int, scope: Scope) -> list[Any]:
    return [organization_id, int(scope.kind), scope.id]


@dataclass
class WritePlan:
    """Everything one transaction writes, by kind of statement."""

    video_snapshots: list[list[Any]] = field(default_factory=list)
    profile_snapshots: list[list[Any]] = field(default_factory=list)
    row_deletes: list[list[Any]] = field(default_factory=list)
    row_upserts: list[list[Any]] = field(default_factory=list)
    known_upserts: list[list[Any]] = field(default_factory=list)
    known_deletes: list[list[Any]] = field(default_factory=list)
    members: list[MemberChange] = field(default_factory=list)
    video_latest: list[list[Any]] = field(default_factory=list)
    profile_latest: list[list[Any]] = field(default_factory=list)
    account_totals: set[int] = field(default_factory=set)

    def snapshots(
        self,
        organization_id: int,
        kind: ScopeKind,
        owner: int,
        written: Sequence[tuple[date, Snapshot]],
    ) -> None:
        """Store these merged snapshots of a video or a profile of the organization."""
        target = self.video_snapshots if kind is ScopeKind.VIDEO else self.profile_snapshots
        target.extend([organization_id, owner, day, *values] for day, values in written)

    def replace_entity(
        self,
        organization_id: int,
        entity: Scope,
        targets: Sequence[Scope],
        old: tuple[Rows, KnownFrom],
        new: tuple[Rows, KnownFrom],
    ) -> None:
        """Swap an entity's rows and dates and move its aggregate scopes (nothing if unchanged)."""
        (old_rows, old_known), (new_rows, new_known) = old, new
        if old_rows == new_rows and old_known == new_known:
            return
        key = _key(organization_id, entity)
        self.row_deletes.extend([*key, day] for day in old_rows if day not in new_rows)
        self.row_upserts.extend(
            [*key, day, *row] for day, row in new_rows.items() if old_rows.get(day) != row
        )
        if new_rows or any(new_known.values()):
            self.known_upserts.append([*key, *(new_known[name] for name in KNOWN_FROM)])
        else:
            self.known_deletes.append(key)
        self.move(organization_id, targets, (old_rows, old_known), (new_rows, new_known))

    def move(
        self,
        organization_id: int,
        targets: Sequence[Scope],
        old: tuple[Rows, KnownFrom],
        new: tuple[Rows, KnownFrom],
    ) -> None:
        """Move aggregate scopes as one member's rows and dates go from `old` to `new`."""
        changes = row_changes(old[0], new[0])
        for target in targets:
            self.members.append(MemberChange(target, organization_id, changes, old[1], new[1]))

    def video_counters(self, video_id: int, rows: Rows, known: KnownFrom) -> None:
        """Store a video's latest known counters (its last row, where the counter is known)."""
        last = rows[max(rows)] if rows else None
        values = [
            None if last is None or known[name] is None else last[1 + COUNTERS.index(name)]
            for name in COUNTERS
        ]
        self.video_latest.append([video_id, *values])

    def profile_counters(self, account_id: int, snapshots: dict[date, Snapshot]) -> None:
        """Store an account's latest known profile counters, each from its last known value."""
        ordered = [snapshots[day] for day in sorted(snapshots)]
        latest = [
            next((s[1 + i] for s in reversed(ordered) if s[1 + i] is not None), None)
            for i in range(len(PROFILE_FIELDS))
        ]
        self.profile_latest.append([account_id, *latest])

    async def write(self, conn: BaseDBAsyncClient) -> None:
        """Send the planned writes, one statement per kind of change that occurs."""
        await bulk_write.upsert_snapshots(
            conn, "video_snapshot", "video_id", COUNTERS, self.video_snapshots
        )
        await bulk_write.upsert_snapshots(
            conn, "account_snapshot", "account_id", PROFILE_FIELDS, self.profile_snapshots
        )
        await bulk_write.delete_rows(conn, self.row_deletes)
        await bulk_write.upsert_rows(conn, self.row_upserts)
        await bulk_write.upsert_known(conn, self.known_upserts, merge=False)
        await bulk_write.delete_known(conn, self.known_deletes)
        await _move_scopes(conn, combine(self.members))
        await bulk_write.set_video_latest(conn, self.video_latest)
        await bulk_write.set_profile_latest(conn, self.profile_latest)
        await bulk_write.refresh_account_totals(conn, self.account_totals)


async def _move_scopes(conn: BaseDBAsyncClient, moves: dict[Scope, ScopeMove]) -> None:
    """Aggregate rows ensured and moved, then first-known dates merged or recomputed."""
    ensure: list[list[Any]] = []
    segments: list[list[Any]] = []
    observations: list[list[Any]] = []
    merged: list[list[Any]] = []
    accounts: list[list[Any]] = []
    organizations: set[int] = set()
    for scope, move in sorted(moves.items()):
        key = _key(move.organization_id, scope)
        ensure.extend([*key, day] for day in sorted(move.ensure_days))
        segments.extend([*key, start, stop, *delta] for start, stop, delta in move.segments())
        observations.extend([*key, day, n] for day, n in move.moved_observations().items())
        known = move.merged_known()
        if known is not None:
            merged.append([*key, *(known[name] for name in KNOWN_FROM)])
        elif move.recompute_known and scope.kind is ScopeKind.ACCOUNT:
            accounts.append([move.organization_id, scope.id])
        elif move.recompute_known:
            organizations.add(scope.id)
    await bulk_write.ensure_rows(conn, ensure)
    await bulk_write.move_rows(conn, segments)
    await bulk_write.move_observations(conn, observations)
    await bulk_write.upsert_known(conn, merged, merge=True)
    await bulk_write.recompute_account_known(conn, accounts)
    await bulk_write.recompute_organization_known(conn, organizations)
