"""Raw observations: the last observation of each entity per UTC date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from app.models.account import Account
    from app.models.video import Video


class AccountSnapshot(Model):
    """An account's profile counters as last observed on `day` (null = not reported)."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="snapshots", on_delete=fields.CASCADE
    )
    account_id: int
    # The account's organization, copied so the table can be distributed by organization.
    organization_id = fields.IntField()
    day = fields.DateField()
    observed_at = fields.DatetimeField()
    followers = fields.BigIntField(null=True)
    following = fields.BigIntField(null=True)
    posts = fields.BigIntField(null=True)

    class Meta:
        table = "account_snapshot"
        unique_together = (("organization_id", "account", "day"),)
        # The key leads with the organization: deleting an account (cascade) needs its own index.
        indexes = (("account_id",),)


class VideoSnapshot(Model):
    """A video's cumulative counters as last observed on `day` (null = not reported)."""

    id = fields.BigIntField(primary_key=True)
    video: fields.ForeignKeyRelation[Video] = fields.ForeignKeyField(
        "models.Video", related_name="snapshots", on_delete=fields.CASCADE
    )
    video_id: int
    # The video's organization, copied so the table can be distributed by organization.
    organization_id = fields.IntField()
    day = fields.DateField()
    observed_at = fields.DatetimeField()
    views = fields.BigIntField(null=True)
    plays = fields.BigIntField(null=True)
    likes = fields.BigIntField(null=True)
    comments = fields.BigIntField(null=True)
    shares = fields.BigIntField(null=True)
    saves = fields.BigIntField(null=True)

    class Meta:
        table = "video_snapshot"
        unique_together = (("organization_id", "video", "day"),)
        # The key leads with the organization: deleting a video (cascade) needs its own index.
        indexes = (("video_id",),)
