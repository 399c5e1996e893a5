"""Derived metric history: cumulative attributed counters per scope and date (SPEC §4).

Rows are sparse: a scope has a row on every date where something was attributed or observed,
and the value on any date is the latest row at or before it. A window's gain is therefore the
difference of two rows, whatever the window's length.
"""

from __future__ import annotations

from enum import IntEnum

from tortoise import fields
from tortoise.models import Model


class ScopeKind(IntEnum):
    """What a metric scope aggregates."""

    VIDEO = 1  # one post
    ACCOUNT = 2  # an account's profile plus all its videos
    ORGANIZATION = 3  # every account, account video and individual video, each post once
    PROFILE = 4  # an account's own profile counters (followers), without its videos


class MetricDay(Model):
    """Cumulative counters of one scope through the end of `day` (UTC)."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.IntField()
    scope_kind = fields.IntEnumField(ScopeKind)
    scope_id = fields.IntField()
    day = fields.DateField()
    observations = fields.IntField(default=0)  # observations made on this very day
    views = fields.BigIntField(default=0)
    plays = fields.BigIntField(default=0)
    likes = fields.BigIntField(default=0)
    comments = fields.BigIntField(default=0)
    shares = fields.BigIntField(default=0)
    saves = fields.BigIntField(default=0)
    followers = fields.BigIntField(default=0)  # level: the sum of known follower counts
    followers_gain = fields.BigIntField(default=0)  # cumulative change, first value = baseline
    published = fields.IntField(default=0)  # videos published through this day

    class Meta:
        table = "metric_day"
        unique_together = (("organization_id", "scope_kind", "scope_id", "day"),)


class MetricScope(Model):
    """Per scope and counter, the first date with a known value (before it, days are null)."""

    id = fields.BigIntField(primary_key=True)
    organization_id = fields.IntField()
    scope_kind = fields.IntEnumField(ScopeKind)
    scope_id = fields.IntField()
    views_from = fields.DateField(null=True)
    plays_from = fields.DateField(null=True)
    likes_from = fields.DateField(null=True)
    comments_from = fields.DateField(null=True)
    shares_from = fields.DateField(null=True)
    saves_from = fields.DateField(null=True)
    followers_from = fields.DateField(null=True)

    class Meta:
        table = "metric_scope"
        # Its first two columns serve the (organization_id, scope_kind) scans an index did before.
        unique_together = (("organization_id", "scope_kind", "scope_id"),)
