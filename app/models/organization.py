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
    # Rate limit in cost points per key and window: the operator's ceiling (null = the
    # deployment default) and the organization's own choice at or below it (null = the ceiling).
    rate_limit_ceiling = fields.IntField(null=True)
    rate_limit_points = fields.IntField(null=True)
    # Moves by one with every write that changes what the organization's queries answer
    # (app.metrics.versions); the API's result cache keys its answers on it.
    data_version = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"
