"""ASGI middleware: request ids and one structured access-log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.graphql.errors import ErrorCode
from app.graphql.http_response import OUTAGES, unavailable_error
from app.outages import RETRY_AFTER_SECONDS, outage_of

logger = logging.getLogger("creatoraudit.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Give every request an id (the client's X-Request-ID if sane), echo it, log the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
        request_id = supplied if _VALID_ID.match(supplied) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if status:  # the response has begun: nothing coherent can be sent any more
                raise
            await send_error(send_with_id, exc, request_id)
        finally:
            if scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                logger.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status or 500,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "operation": state.get("operation_name"),
                        "organization_id": state.get("organization_id"),
                    },
                )


async def send_error(send: Send, exc: Exception, request_id: str) -> None:
    """Answer an exception nothing else handled: a GraphQL JSON error, never a bare 500."""
    service = outage_of(exc)
    headers = [(b"content-type", b"application/json")]
    if service is not None:
        OUTAGES.failed(service, exc)
        error = unavailable_error(service)
        status, body = 503, {"message": error.message, "extensions": error.extensions}
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    else:
        logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id}
        status, body = 500, {"message": "Internal server error", "extensions": extensions}
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps({"errors": [body]})})
