"""The tenant."""

from tortoise import fields
from tortoise.models import Model


class Organization(Model):
    """A customer. Every other row belongs to exactly one organization."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    max_recent_posts = fields.IntField(default=50)
    lookback_days = fields.IntField(default=90)
    persisted_queries_only = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"
