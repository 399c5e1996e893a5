"""The typed per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from graphql import DocumentNode
from starlette.requests import Request

from app import models
from app.graphql.errors import InsufficientScope
from app.graphql.loaders import Loaders
from app.models import Scope
from app.services.rate_limit import RateDecision
from app.services.refresher import Refresher
from app.services.tenancy import Tenant
from app.settings import Settings


@dataclass
class Context:
    """Everything a resolver may use: the caller's key and organization, loaders, settings."""

    request: Request
    settings: Settings
    api_key: models.ApiKey
    organization: models.Organization
    tenant: Tenant
    loaders: Loaders
    request_id: str
    refresher: Refresher | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    # The document as the endpoint prepared it (parsed and validated once per process).
    document: DocumentNode | None = None
    # What this request spent of its key's budget; None when rate limiting is off.
    rate_limit: RateDecision | None = None

    def require_scope(self, scope: Scope) -> None:
        """Raise INSUFFICIENT_SCOPE unless the key's scope includes `scope`."""
        if self.api_key.scope < scope:
            raise InsufficientScope(
                f"This operation needs the {scope.name} scope; "
                f"the key has {self.api_key.scope.name}",
                required=scope.name,
            )


Info: TypeAlias = strawberry.Info[Context, Any]


def build_context(
    request: Request, settings: Settings, api_key: models.ApiKey, request_id: str
) -> Context:
    """A fresh context, with fresh loaders, for one request."""
    tenant = Tenant(api_key.organization_id)
    return Context(
        request=request,
        settings=settings,
        api_key=api_key,
        organization=api_key.organization,
        tenant=tenant,
        loaders=Loaders(tenant),
        request_id=request_id,
        refresher=getattr(request.app.state, "refresher", None) if request is not None else None,
    )
