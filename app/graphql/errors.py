"""Error codes (SPEC §8) and the exceptions and payload type that carry them.

Exception tree:

    ApiError                 a request-level error with an `extensions.code`
    ├── Unauthenticated      UNAUTHENTICATED   (HTTP 401)
    ├── Forbidden            FORBIDDEN
    ├── InsufficientScope    INSUFFICIENT_SCOPE
    ├── NotFound             NOT_FOUND
    ├── BadUserInput         BAD_USER_INPUT    (names the offending argument in `field`)
    ├── QueryTooComplex      QUERY_TOO_COMPLEX (with the measured numbers)
    ├── PersistedQueryNotFound   PERSISTED_QUERY_NOT_FOUND (HTTP 200 for APQ hashes, 404 for ids)
    ├── PersistedQueryRequired   PERSISTED_QUERY_REQUIRED  (HTTP 400)
    ├── RateLimited          RATE_LIMITED      (HTTP 429 with Retry-After)
    ├── ServiceUnavailable   SERVICE_UNAVAILABLE (HTTP 503 with Retry-After)
    └── ...                  the other codes are raised by their own subsystems

Expected problems of mutations are not exceptions: they are `UserError` values in payloads.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import strawberry


class ErrorCode(StrEnum):
    """The complete vocabulary of `extensions.code` values."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_REQUIRED = "PERSISTED_QUERY_REQUIRED"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ApiError(Exception):
    """An error the client is meant to see, with its code and optional details."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        """The `extensions` object of the GraphQL error."""
        return {"code": self.code.value, **self.details}


class Unauthenticated(ApiError):
    """No API key, an unknown key, or a revoked key."""

    code = ErrorCode.UNAUTHENTICATED


class Forbidden(ApiError):
    """The key is valid but the operation is not allowed for it."""

    code = ErrorCode.FORBIDDEN


class InsufficientScope(ApiError):
    """The key lacks the scope the field or mutation requires."""

    code = ErrorCode.INSUFFICIENT_SCOPE


class NotFound(ApiError):
    """The id does not exist, is malformed, or belongs to another organization."""

    code = ErrorCode.NOT_FOUND


class BadUserInput(ApiError):
    """An argument is out of range or malformed; `field` names it."""

    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        if field is not None:
            details["field"] = field
        super().__init__(message, **details)


class QueryTooComplex(ApiError):
    """The operation exceeds a depth, alias, token or cost limit."""

    code = ErrorCode.QUERY_TOO_COMPLEX


class PersistedQueryNotFound(ApiError):
    """An APQ hash or trusted-document id the server does not know.

    The message is Apollo's `PersistedQueryNotFound`, which Apollo Client's persisted-query
    link looks for before resending the request with the document text.
    """

    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND

    def __init__(self, message: str = "PersistedQueryNotFound", *, status: int = 200) -> None:
        super().__init__(message)
        self.status = status


class PersistedQueryRequired(ApiError):
    """Only trusted documents may run for this key, organization or deployment."""

    code = ErrorCode.PERSISTED_QUERY_REQUIRED

    def __init__(
        self,
        message: str = "Only trusted (persisted) documents may run here; send a document id",
    ) -> None:
        super().__init__(message)


class RateLimited(ApiError):
    """The key's cost budget cannot pay for this operation now."""

    code = ErrorCode.RATE_LIMITED


class ServiceUnavailable(ApiError):
    """A backing service (database, Redis) cannot be reached."""

    code = ErrorCode.SERVICE_UNAVAILABLE


@strawberry.type(description="An expected problem with a mutation's input, returned as data.")
class UserError:
    """A problem with a mutation's input, returned in the payload instead of raised."""

    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "handle"]; null when '
        "the problem is not tied to one field."
    )
    message: str = strawberry.field(description="Human-readable explanation.")
    code: str = strawberry.field(
        description="Stable machine code, e.g. INVALID_URL, INVALID_HANDLE, DUPLICATE, "
        "NOT_FOUND, LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED, RATE_LIMITED."
    )


def user_error(code: str, message: str, *field: str) -> UserError:
    """Build a UserError; `field` is the input path, empty when not tied to a field."""
    return UserError(field=list(field) or None, message=message, code=code)
