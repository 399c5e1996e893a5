"""A post: discovered from a tracked account's feed, added by hand, or both."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from app.models.enums import Availability, Platform

if TYPE_CHECKING:
    from app.models.account import Account
    from app.models.organization import Organization


class Video(Model):
    """One upstream post per organization.

    The same row can play two roles: an *account video* (``account_id`` set, discovered from
    the feed) and an *individual video* (``is_individual``, added by URL or id). Its history is
    stored once, so organization totals count the post once whatever its roles.
    """

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="videos", on_delete=fields.CASCADE
    )
    organization_id: int
    platform = fields.CharEnumField(Platform, max_length=16)
    platform_video_id = fields.CharField(max_length=32)  # IG media pk or TikTok id, decimal
    shortcode = fields.CharField(max_length=16, null=True)
    graph_media_id = fields.CharField(max_length=32, null=True)
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="videos", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    author_handle = fields.CharField(max_length=64, null=True)
    is_individual = fields.BooleanField(default=False)
    url = fields.CharField(max_length=2048, null=True)
    caption = fields.TextField(null=True)
    media_type = fields.CharField(max_length=32, null=True)
    thumbnail_url = fields.CharField(max_length=2048, null=True)
    published_at = fields.DatetimeField(null=True)
    # Latest known counters; history lives in VideoSnapshot.
    views = fields.BigIntField(null=True)
    plays = fields.BigIntField(null=True)
    likes = fields.BigIntField(null=True)
    comments = fields.BigIntField(null=True)
    shares = fields.BigIntField(null=True)
    saves = fields.BigIntField(null=True)
    scrape_interval_hours = fields.IntField(default=24)
    availability = fields.CharEnumField(Availability, max_length=16, default=Availability.PENDING)
    last_error = fields.TextField(null=True)
    last_error_at = fields.DatetimeField(null=True)
    added_at = fields.DatetimeField(auto_now_add=True)
    discovered_at = fields.DatetimeField(null=True)
    individual_added_at = fields.DatetimeField(null=True)
    first_scrape_at = fields.DatetimeField(null=True)
    last_scrape_at = fields.DatetimeField(null=True)
    next_scrape_at = fields.DatetimeField(null=True)

    class Meta:
        table = "video"
        unique_together = (("organization", "platform", "platform_video_id"),)
        indexes = (
            ("account_id", "published_at"),
            ("organization_id", "is_individual", "added_at"),
            ("organization_id", "published_at"),
            ("is_individual", "next_scrape_at"),  # the scheduler's due scan
        )
