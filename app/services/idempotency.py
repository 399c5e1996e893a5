"""Idempotency keys for create mutations: a retry within the TTL returns the first result."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import models
from app.services.tenancy import Tenant

MAX_KEY_LENGTH = 200


def request_hash(arguments: dict[str, Any]) -> str:
    """A digest of a mutation's arguments, to detect a key reused for another request."""
    payload = orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(payload).hexdigest()


async def recall(
    tenant: Tenant, mutation: str, key: str, ttl_seconds: int
) -> models.IdempotencyRecord | None:
    """The live record for this key, if any (expired ones are deleted)."""
    record = await tenant.idempotency_records().filter(mutation=mutation, key=key).first()
    if record is None:
        return None
    if record.created_at < datetime.now(UTC) - timedelta(seconds=ttl_seconds):
        await record.delete()
        return None
    return record


async def remember(
    tenant: Tenant, mutation: str, key: str, digest: str, result: dict[str, Any]
) -> models.IdempotencyRecord:
    """Store the result; when a concurrent retry stored one first, return that one."""
    try:
        # A savepoint inside the caller's transaction: a duplicate must not abort it.
        async with in_transaction():
            return await models.IdempotencyRecord.create(
                organization_id=tenant.organization_id,
                mutation=mutation,
                key=key,
                request_hash=digest,
                result=result,
            )
    except IntegrityError:
        return await tenant.idempotency_records().get(mutation=mutation, key=key)
