"""Tortoise ORM models: tenants, keys, tracked entities and their metric history."""

from app.models.account import Account
from app.models.api_key import ApiKey
from app.models.creator import Creator, CreatorAccount
from app.models.enums import Availability, Platform, Scope
from app.models.idempotency import IdempotencyRecord
from app.models.metrics import MetricDay, MetricScope, ScopeKind
from app.models.organization import Organization
from app.models.snapshot import AccountSnapshot, VideoSnapshot
from app.models.trusted_document import TrustedDocument
from app.models.video import Video

__all__ = [
    "Account",
    "AccountSnapshot",
    "ApiKey",
    "Availability",
    "Creator",
    "CreatorAccount",
    "IdempotencyRecord",
    "MetricDay",
    "MetricScope",
    "Organization",
    "Platform",
    "Scope",
    "ScopeKind",
    "TrustedDocument",
    "Video",
    "VideoSnapshot",
]
