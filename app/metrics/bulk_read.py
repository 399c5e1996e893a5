"""The reads of a set-based write: entities, snapshots and stored rows of many entities at once.

One statement per table, whatever the number of entities; values come back as plain tuples
(no model objects), in the same form from PostgreSQL and SQLite. Reads of snapshots and metric
rows name the organizations of the entities (which the caller read first), so each can be
routed to the shards holding those organizations.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.identifiers import Platform
from app.metrics import sql
from app.metrics.attribution import COLUMNS, KNOWN_FROM, KnownFrom, Rows
from app.metrics.scopes import Scope
from app.metrics.sources import ids
from app.models import ScopeKind

__all__ = [
    "FROM_COLUMNS",
    "Snapshot",
    "VideoFacts",
    "account_organizations",
    "entity_known",
    "entity_rows",
    "organizations_of",
    "snapshots",
    "video_facts",
]

FROM_COLUMNS = tuple(f"{name}_from" for name in KNOWN_FROM)
_COLUMN_LIST = ", ".join(COLUMNS)

Snapshot = tuple[Any, ...]  # (observed_at, *counters) of one entity and day


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What writing a video's observations needs to know about it."""

    id: int
    organization_id: int
    account_id: int | None
    platform: Platform
    published: date | None  # the UTC date of its publish time


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day_or_none(value: Any) -> date | None:
    return None if value is None else sql.as_date(value)


async def organizations_of(
    conn: BaseDBAsyncClient, account_ids: Collection[int], video_ids: Collection[int]
) -> set[int]:
    """The organizations owning these accounts and videos (read before their locks are taken)."""
    accounts, account_values = ids(conn, "id", account_ids)
    videos, video_values = ids(conn, "id", video_ids)
    found = await sql.fetch_rows(
        conn,
        f"SELECT organization_id FROM account WHERE {accounts} "
        f"UNION SELECT organization_id FROM video WHERE {videos}",
        [*account_values, *video_values],
    )
    return {int(row[0]) for row in found}


async def video_facts(conn: BaseDBAsyncClient, video_ids: Collection[int]) -> dict[int, VideoFacts]:
    """The videos that still exist, by id."""
    if not video_ids:
        return {}
    condition, values = ids(conn, "id", video_ids)
    found = await sql.fetch_rows(
        conn,
        f"SELECT id, organization_id, account_id, platform, published_at FROM video "
        f"WHERE {condition}",
        values,
    )
    facts = {}
    for row in found:
        published = None if row[4] is None else _moment(row[4]).astimezone(UTC).date()
        account = None if row[2] is None else int(row[2])
        facts[int(row[0])] = VideoFacts(
            int(row[0]), int(row[1]), account, Platform(row[3]), published
        )
    return facts


async def account_organizations(
    conn: BaseDBAsyncClient, account_ids: Collection[int]
) -> dict[int, int]:
    """The accounts that still exist, with their organization."""
    if not account_ids:
        return {}
    condition, values = ids(conn, "id", account_ids)
    found = await sql.fetch_rows(
        conn, f"SELECT id, organization_id FROM account WHERE {condition}", values
    )
    return {int(row[0]): int(row[1]) for row in found}


async def snapshots(
    conn: BaseDBAsyncClient,
    table: str,
    owner: str,
    fields: Sequence[str],
    owner_ids: Collection[int],
    organization_ids: Collection[int],
) -> dict[int, dict[date, Snapshot]]:
    """Every stored snapshot of the given owners (of these organizations): owner id -> day ->
    (observed_at, *fields)."""
    found_by_owner: dict[int, dict[date, Snapshot]] = {key: {} for key in owner_ids}
    if not owner_ids:
        return found_by_owner
    organizations, organization_values = ids(conn, "organization_id", organization_ids)
    condition, values = ids(conn, owner, owner_ids)
    found = await sql.fetch_rows(
        conn,
        f"SELECT {owner}, day, observed_at, {', '.join(fields)} FROM {table} "
        f"WHERE {organizations} AND {condition}",
        [*organization_values, *values],
    )
    for row in found:
        counters = tuple(None if v is None else int(v) for v in row[3:])
        found_by_owner[int(row[0])][sql.as_date(row[1])] = (_moment(row[2]), *counters)
    return found_by_owner


def _entity_condition(
    conn: BaseDBAsyncClient, entities: Collection[Scope], organization_ids: Collection[int]
) -> tuple[str, list[Any]]:
    organizations, organization_values = ids(conn, "organization_id", organization_ids)
    videos = [s.id for s in entities if s.kind is ScopeKind.VIDEO]
    profiles = [s.id for s in entities if s.kind is ScopeKind.PROFILE]
    video_ids, video_values = ids(conn, "scope_id", videos)
    profile_ids, profile_values = ids(conn, "scope_id", profiles)
    condition = (
        f"{organizations} AND ((scope_kind = {int(ScopeKind.VIDEO)} AND {video_ids}) "
        f"OR (scope_kind = {int(ScopeKind.PROFILE)} AND {profile_ids}))"
    )
    return condition, [*organization_values, *video_values, *profile_values]


async def entity_rows(
    conn: BaseDBAsyncClient, entities: Collection[Scope], organization_ids: Collection[int]
) -> dict[Scope, Rows]:
    """The stored rows of these video and profile scopes (of these organizations)."""
    rows: dict[Scope, Rows] = {scope: {} for scope in entities}
    if not entities:
        return rows
    condition, values = _entity_condition(conn, entities, organization_ids)
    found = await sql.fetch_rows(
        conn,
        f"SELECT scope_kind, scope_id, day, {_COLUMN_LIST} FROM metric_day WHERE {condition}",
        values,
    )
    for row in found:
        scope = Scope(ScopeKind(row[0]), int(row[1]))
        rows[scope][sql.as_date(row[2])] = tuple(int(v) for v in row[3:])
    return rows


async def entity_known(
    conn: BaseDBAsyncClient, entities: Collection[Scope], organization_ids: Collection[int]
) -> dict[Scope, KnownFrom]:
    """The stored first-known dates of these video and profile scopes (of these organizations;
    all None if absent)."""
    known: dict[Scope, KnownFrom] = {scope: dict.fromkeys(KNOWN_FROM) for scope in entities}
    if not entities:
        return known
    condition, values = _entity_condition(conn, entities, organization_ids)
    found = await sql.fetch_rows(
        conn,
        f"SELECT scope_kind, scope_id, {', '.join(FROM_COLUMNS)} FROM metric_scope "
        f"WHERE {condition}",
        values,
    )
    for row in found:
        scope = Scope(ScopeKind(row[0]), int(row[1]))
        known[scope] = {
            name: _day_or_none(value) for name, value in zip(KNOWN_FROM, row[2:], strict=True)
        }
    return known
