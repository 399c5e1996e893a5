"""A tracked Instagram or TikTok profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from app.models.enums import Availability, Platform

if TYPE_CHECKING:
    from app.models.organization import Organization


class Account(Model):
    """A profile tracked by one organization, unique per (organization, platform, handle)."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="accounts", on_delete=fields.CASCADE
    )
    organization_id: int
    platform = fields.CharEnumField(Platform, max_length=16)
    handle = fields.CharField(max_length=64)
    platform_user_id = fields.CharField(max_length=64, null=True)
    display_name = fields.CharField(max_length=300, null=True)
    biography = fields.TextField(null=True)
    avatar_url = fields.CharField(max_length=2048, null=True)
    website = fields.CharField(max_length=2048, null=True)
    is_verified = fields.BooleanField(null=True)
    # Latest profile counters; history lives in AccountSnapshot.
    followers = fields.BigIntField(null=True)
    following = fields.BigIntField(null=True)
    posts_count = fields.BigIntField(null=True)
    # Sums over the account's videos at their latest values (denormalised for ordering).
    total_views = fields.BigIntField(null=True)
    total_likes = fields.BigIntField(null=True)
    scrape_interval_hours = fields.IntField(default=24)
    availability = fields.CharEnumField(Availability, max_length=16, default=Availability.PENDING)
    last_error = fields.TextField(null=True)
    last_error_at = fields.DatetimeField(null=True)
    added_at = fields.DatetimeField(auto_now_add=True)
    first_scrape_at = fields.DatetimeField(null=True)
    last_scrape_at = fields.DatetimeField(null=True)
    next_scrape_at = fields.DatetimeField(null=True)
    insights_token = fields.TextField(null=True)  # encrypted at rest; never returned

    class Meta:
        table = "account"
        unique_together = (("organization", "platform", "handle"),)
        indexes = (
            ("organization_id", "added_at"),
            ("organization_id", "followers"),
            ("next_scrape_at",),  # the scheduler's due scan
        )
