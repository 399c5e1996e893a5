"""CORS for browser frontends on other origins: only the configured origins are allowed."""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Send

from app.graphql.errors import ApiError, BadUserInput, Forbidden
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


class ConfiguredOriginsCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, granting nothing to an origin that is not configured.

    Starlette answers a refused preflight with 400, a text body and its Access-Control-Allow-
    Methods/-Headers/-Max-Age all the same, and adds Access-Control-Expose-Headers to responses
    for any origin. Here a refused preflight has no Access-Control-* header and a coded GraphQL
    error body like every other error (SPEC §8): 403 FORBIDDEN for an origin not on the list,
    400 BAD_USER_INPUT for a method or header not allowed. Browsers refuse either way.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        """200 with the grants, or a coded error without any Access-Control-* header."""
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        origin = request_headers["origin"]
        error: ApiError
        if not self.is_allowed_origin(origin):
            status, error = 403, Forbidden(f"Origin {origin} is not allowed to call this API")
        else:
            refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
            error = BadUserInput(
                f"CORS preflight refused ({refused}): allowed methods "
                f"{', '.join(self.allow_methods)}; allowed headers {', '.join(ALLOWED_HEADERS)}"
            )
            status = 400
        body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
        return Response(
            orjson.dumps(body),
            status_code=status,
            media_type="application/json; charset=utf-8",
            headers={"Vary": self.preflight_headers["Vary"]},
        )

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        """CORS headers on responses to configured origins only (Vary: Origin on all)."""
        origin = request_headers.get("origin")
        if origin is None or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])
        await send(message)


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for the configured origins; none when no origin is configured."""
    if not settings.cors_allow_origins:
        return []
    return [
        Middleware(
            ConfiguredOriginsCORSMiddleware,
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=600,
        )
    ]
