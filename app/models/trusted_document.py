"""Trusted (persisted) GraphQL documents loaded ahead of time from a client's manifest."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class TrustedDocument(Model):
    """One operation document a first-party client may send by id instead of by text.

    `document_id` is the id the client sends (an Apollo persisted query list id, which is the
    SHA-256 of the body, or any Relay id); `sha256` is the SHA-256 of `body`, so a client that
    sends the APQ hash of a trusted body finds it too. The same body may be listed under
    several ids (one per client toolchain).
    """

    id = fields.IntField(primary_key=True)
    document_id = fields.CharField(max_length=200, unique=True)
    sha256 = fields.CharField(max_length=64, db_index=True)
    body = fields.TextField()
    operation_name = fields.CharField(max_length=200, null=True)
    source = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "trusted_document"
