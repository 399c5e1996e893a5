"""Organizations (tenants)."""

from __future__ import annotations

from app import models
from app.metrics import versions


async def create_organization(name: str) -> models.Organization:
    """Create an organization."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 200:
        raise ValueError("an organization name holds 1–200 characters")
    return await models.Organization.create(name=cleaned)


async def set_persisted_only(
    organization: models.Organization, enabled: bool
) -> models.Organization:
    """Let every key of the organization run only trusted documents (or not), from the next
    request on; a key of its own that is persisted-only stays so."""
    organization.persisted_queries_only = enabled
    async with versions.writing(organization.id):  # Organization.persistedQueriesOnly changes
        await organization.save(update_fields=["persisted_queries_only"])
    return organization
