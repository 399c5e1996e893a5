"""Creators: named groups of accounts across platforms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.models.account import Account
    from app.models.organization import Organization


class Creator(Model):
    """A person or brand analysed as one: a group of accounts defined by the organization."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="creators", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=200)
    description: str | None = fields.TextField(null=True)
    added_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "creator"
        unique_together = (("organization", "name"),)


class CreatorAccount(Model):
    """Membership of an account in a creator (an account may belong to several)."""

    id = fields.IntField(primary_key=True)
    creator: fields.ForeignKeyRelation[Creator] = fields.ForeignKeyField(
        "models.Creator", related_name="memberships", on_delete=fields.CASCADE
    )
    creator_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="memberships", on_delete=fields.CASCADE
    )
    account_id: int
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "creator_account"
        unique_together = (("creator", "account"),)
        indexes = (("account_id",),)
