"""CORS for browser frontends on other origins: only the configured origins are allowed."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from app.settings import Settings

# What browser GraphQL clients send: auth, JSON, request ids, conditional GETs of persisted
# queries, and the headers Apollo Client adds (client awareness, CSRF-safe preflight marker).
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Request-ID",
    "If-None-Match",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)
# Response headers a page's script may read.
EXPOSED_HEADERS = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "ETag",
)


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for the configured origins; none when no origin is configured."""
    if not settings.cors_allow_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=600,
        )
    ]
