"""Organizations' data versions: moved by every write that changes what their queries answer.

`organization.data_version` goes up by one with each write transaction that touches an
organization's rows (its accounts, videos, creators, API keys, rate-limit policy, metric
history). The API loads it with the caller's key at no extra statement and keys its result
cache on it (`app.graphql.result_cache`): an answer cached under version v is never served once
a reader sees v + 1.

Every write path runs inside one of two scopes:

- `writing(...)`: one transaction whose organizations are bumped by its **last statement**, so
  the new data and the new version commit together. A reader that read version v before the
  commit may still execute after it and store a newer answer under v: harmless, since every
  reader that starts after the commit reads v + 1. Bumping last keeps the organization's row
  lock for the shortest time, and a transaction holding it waits for nothing else before its
  commit, so the bump adds no deadlock.
- `batched(...)`: several transactions (a refresh's profile and each of its posts) and one bump
  after the last, also when the block fails half-way. Readers during the block may be answered
  from before it, as if they had read just before it began; none after it.

Scopes nest: an inner scope, and `touch` inside any scope, only adds organizations to the
outermost one, which bumps each of them once (one statement for all, rows locked in id order).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.metrics import sql
from app.metrics.sources import ids

__all__ = ["batched", "bump", "touch", "writing"]

logger = logging.getLogger("creatoraudit.metrics")

# The organizations touched by the outermost scope of the current task; None outside one.
# A task started inside a scope inherits the variable, not the scope: `_outer` checks the task.
_touched: ContextVar[tuple[object, set[int]] | None] = ContextVar(
    "data_version_touched", default=None
)


def _outer() -> set[int] | None:
    """The current task's outermost scope, if it is inside one."""
    scope = _touched.get()
    if scope is None or scope[0] is not asyncio.current_task():
        return None
    return scope[1]


async def bump(organization_ids: set[int], conn: BaseDBAsyncClient | None = None) -> None:
    """Move each organization's data version by one: one statement, rows locked in id order."""
    if not organization_ids:
        return
    conn = conn or sql.connection()
    chosen, values = ids(conn, "id", organization_ids)
    ordered = f"SELECT id FROM organization WHERE {chosen}"
    if sql.is_postgres(conn):  # two bumps of overlapping sets lock their rows in one order
        ordered += " ORDER BY id FOR UPDATE"
    await sql.execute(
        conn,
        f"UPDATE organization SET data_version = data_version + 1 WHERE id IN ({ordered})",
        values,
    )


def touch(organization_id: int) -> None:
    """Count a write to the organization in the current scope (it bumps when it ends)."""
    touched = _outer()
    if touched is None:
        raise RuntimeError("a write outside app.metrics.versions.writing/batched")
    touched.add(organization_id)


@asynccontextmanager
async def writing(*organization_ids: int) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction (a savepoint inside another) that bumps what it touched, last."""
    outer = _outer()
    if outer is not None:
        outer.update(organization_ids)
        async with in_transaction() as conn:
            yield conn
        return
    touched = set(organization_ids)
    token = _touched.set((asyncio.current_task(), touched))
    try:
        async with in_transaction() as conn:
            yield conn
            await bump(touched, conn)
    finally:
        _touched.reset(token)


@asynccontextmanager
async def batched(*organization_ids: int) -> AsyncIterator[None]:
    """Writes in several transactions, with one bump of what they touched after the last."""
    outer = _outer()
    if outer is not None:
        outer.update(organization_ids)
        yield
        return
    touched = set(organization_ids)
    token = _touched.set((asyncio.current_task(), touched))
    try:
        yield
    except BaseException:
        _touched.reset(token)
        try:  # part of the block may have committed: readers must not keep the old answer
            await bump(touched)
        except Exception as error:
            # The database is gone too (an outage): the retried write will move it.
            logger.info("data_version.not_moved", extra={"error": type(error).__name__})
        raise
    _touched.reset(token)
    await bump(touched)
