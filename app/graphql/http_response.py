"""Writing GraphQL responses: error formatting, JSON bodies, rate-limit headers and ETags."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.exceptions import StrawberryInputCoercionError

from app.graphql.errors import ApiError, ErrorCode, ServiceUnavailable
from app.outages import RETRY_AFTER_SECONDS, OutageLog, Service, outage_of

logger = logging.getLogger("creatoraudit.graphql")

# Raised while arguments are coerced, during execution: the client's input is wrong (a @oneOf
# input given a null member, for one).
_CLIENT_INPUT_ERRORS = (StrawberryInputCoercionError,)
# Database and Redis outages seen by this API process: one log line when one starts and ends.
OUTAGES = OutageLog("the API")

# GET answers of persisted documents: private to the key's tenant, revalidated every time; the
# media type (application/graphql-response+json or application/json) follows Accept.
CACHEABLE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Accept"}


def error_payload(error: ApiError) -> dict[str, Any]:
    """A GraphQL error object for an ApiError."""
    return {"message": error.message, "extensions": error.extensions}


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """A client-facing error: coded errors kept, unexpected ones masked but logged."""
    original = error.original_error
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path is not None:
        formatted["path"] = list(error.path)
    if isinstance(original, ApiError):
        formatted["message"] = original.message
        formatted["extensions"] = original.extensions
    elif original is None or error.path is None or isinstance(original, _CLIENT_INPUT_ERRORS):
        # Parse, validation and input-coercion errors describe the client's document.
        formatted["extensions"] = {"code": ErrorCode.BAD_USER_INPUT.value}
    elif (service := outage_of(original)) is not None:
        OUTAGES.failed(service, original)
        unavailable = unavailable_error(service)
        formatted["message"] = unavailable.message
        formatted["extensions"] = unavailable.extensions
    else:
        logger.error(
            "unexpected error in resolver",
            exc_info=original,
            extra={"request_id": request_id, "path": error.path},
        )
        formatted["message"] = "Internal server error"
        formatted["extensions"] = {
            "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
            "requestId": request_id,
        }
    return formatted


def unavailable_error(service: Service) -> ServiceUnavailable:
    """The error a client gets while `service` cannot be reached."""
    return ServiceUnavailable(
        f"The {service} cannot be reached; retry in {RETRY_AFTER_SECONDS} s",
        retryAfter=RETRY_AFTER_SECONDS,
    )


def unavailable_response(service: Service, media_type: str = "application/json") -> Response:
    """HTTP 503 with Retry-After and a SERVICE_UNAVAILABLE GraphQL error."""
    payload = {"errors": [error_payload(unavailable_error(service))]}
    return render(payload, 503, media_type, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def with_extensions(core: bytes, extensions: dict[str, Any] | None) -> bytes:
    """The body: the answer serialised without `extensions` (what its ETag is computed from,
    and what the result cache keeps), with them spliced in.

    `extensions` (cost and remaining budget) change on every request; the ETag must only
    change with the answer itself.
    """
    if not extensions:
        return core
    joiner = b"," if len(core) > 2 else b""
    # One copy of the answer (it can be megabytes), not one per concatenation.
    head = memoryview(core)[:-1]
    return b"".join((head, joiner, b'"extensions":', orjson.dumps(extensions), b"}"))


def etag_of(core: bytes) -> str:
    """A strong entity tag for an answer."""
    return '"' + hashlib.sha256(core).hexdigest()[:40] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def render_bytes(
    body: bytes, status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """A GraphQL response from an already serialised body."""
    return Response(
        body, status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )


def render(
    payload: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """Serialise a GraphQL response."""
    return render_bytes(orjson.dumps(payload), status, media_type, headers)
