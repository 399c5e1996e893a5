"""Results of create mutations, kept so a retried request returns the first result."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """The outcome of one create mutation under a client-chosen idempotency key."""

    id = fields.IntField(primary_key=True)
    organization_id = fields.IntField()
    mutation = fields.CharField(max_length=64)
    key = fields.CharField(max_length=200)
    request_hash = fields.CharField(max_length=64)
    result: Any = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("organization_id", "mutation", "key"),)
