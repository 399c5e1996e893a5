"""Organizations (tenants)."""

from __future__ import annotations

from app import models


async def create_organization(name: str) -> models.Organization:
    """Create an organization."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 200:
        raise ValueError("an organization name holds 1–200 characters")
    return await models.Organization.create(name=cleaned)
