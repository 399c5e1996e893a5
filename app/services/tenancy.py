"""Organization-confined data access: the only way request code reaches tenant rows.

Every query set handed out here is already filtered on the organization, so a foreign id
behaves exactly like a missing one without each resolver having to remember it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet

from app import models


@dataclass(frozen=True, slots=True)
class Tenant:
    """Query sets confined to one organization."""

    organization_id: int

    def organization(self) -> QuerySet[models.Organization]:
        """The organization itself (a query set of one row)."""
        return models.Organization.filter(id=self.organization_id)

    def api_keys(self) -> QuerySet[models.ApiKey]:
        """The organization's API keys, revoked ones included."""
        return models.ApiKey.filter(organization_id=self.organization_id)

    def accounts(self) -> QuerySet[models.Account]:
        """Tracked accounts."""
        return models.Account.filter(organization_id=self.organization_id)

    def videos(self) -> QuerySet[models.Video]:
        """Every post row, whatever its roles."""
        return models.Video.filter(organization_id=self.organization_id)

    def account_videos(self) -> QuerySet[models.Video]:
        """Posts discovered from tracked accounts' feeds."""
        return self.videos().filter(account_id__isnull=False)

    def individual_videos(self) -> QuerySet[models.Video]:
        """Posts added by hand."""
        return self.videos().filter(is_individual=True)

    def creators(self) -> QuerySet[models.Creator]:
        """Creators (groups of accounts)."""
        return models.Creator.filter(organization_id=self.organization_id)

    def memberships(self) -> QuerySet[models.CreatorAccount]:
        """Creator ↔ account memberships."""
        return models.CreatorAccount.filter(creator__organization_id=self.organization_id)

    def idempotency_records(self) -> QuerySet[models.IdempotencyRecord]:
        """Stored results of create mutations."""
        return models.IdempotencyRecord.filter(organization_id=self.organization_id)


async def pluck_ids(query: QuerySet[Any], field: str = "id") -> list[int]:
    """The integer column `field` of every row of `query`."""
    values = await query.values_list(field, flat=True)
    return [int(value) for value in values]  # type: ignore[call-overload]
