"""API keys: generation, hashing, authentication and revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from app import models
from app.metrics import versions
from app.models import Scope

KEY_PREFIX = "ca_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created key: `secret` is the only time the full key exists in clear."""

    api_key: models.ApiKey
    secret: str


def hash_key(secret: str) -> str:
    """SHA-256 of the key; keys are 190 random bits, so a plain digest cannot be brute-forced."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    organization_id: int, name: str, scope: Scope, *, persisted_queries_only: bool = False
) -> IssuedKey:
    """Create a key for the organization and return it with its clear-text secret."""
    body = secrets.token_urlsafe(24)
    secret = f"{KEY_PREFIX}{body}"
    async with versions.writing(organization_id):  # keys are visible: node(id) of an ApiKey
        api_key = await models.ApiKey.create(
            organization_id=organization_id,
            name=name,
            prefix=secret[:10],
            key_hash=hash_key(secret),
            scope=scope,
            persisted_queries_only=persisted_queries_only,
        )
    return IssuedKey(api_key=api_key, secret=secret)


async def authenticate(secret: str) -> models.ApiKey | None:
    """The live key matching `secret` (with its organization loaded), or None."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    api_key = (
        await models.ApiKey.filter(key_hash=hash_key(secret), revoked_at__isnull=True)
        .select_related("organization")
        .first()
    )
    return api_key


async def revoke_api_key(api_key: models.ApiKey) -> models.ApiKey:
    """Revoke a key; it is refused from the next request on. Revoking twice is harmless."""
    if api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        async with versions.writing(api_key.organization_id):
            await api_key.save(update_fields=["revoked_at"])
    return api_key


async def set_persisted_only(api_key: models.ApiKey, enabled: bool) -> models.ApiKey:
    """Let the key run only trusted documents (or any again), from its next request on."""
    api_key.persisted_queries_only = enabled
    async with versions.writing(api_key.organization_id):  # the key's fields are visible
        await api_key.save(update_fields=["persisted_queries_only"])
    return api_key
