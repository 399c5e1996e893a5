"""API metrics: an ASGI middleware counting /graphql requests, errors and latency.

It wraps the whole app, so it sees every answer whoever wrote it (the endpoint, an error
handler, the rate limiter). The operation label is the name of the operation chosen to run
(`note_operation`, called by the endpoint): "anonymous" for an unnamed one, "unknown" when the
request was answered before an operation was chosen (authentication, body, parse or
validation errors), and "other" once a process has seen `max_operations` distinct names, so a
client inventing names cannot grow the series without bound. Error codes are read from the
response body, only when it is a GraphQL error response.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from graphql import OperationDefinitionNode
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.graphql.errors import ErrorCode
from app.observability import metrics

_STATE_KEY = "metrics_operation"
_CODES = frozenset(code.value for code in ErrorCode)
# orjson writes the payload's keys in insertion order and the endpoint puts "errors" first.
_ERRORS_PREFIX = b'{"errors":'
_MAX_NAME = 100
_MAX_CODES = 64


def note_operation(scope: Scope, operation: OperationDefinitionNode) -> None:
    """Record the operation this request runs (its name labels the request's metrics)."""
    name = operation.name.value if operation.name is not None else ""
    scope.setdefault("state", {})[_STATE_KEY] = name


class OperationNames:
    """Bounded label values for operation names: first come, up to `limit` per process."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._known: set[str] = set()

    def label(self, name: str | None) -> str:
        """The label for an operation name (None: none was chosen)."""
        if name is None:
            return "unknown"
        if not name:
            return "anonymous"
        if name in self._known:
            return name
        if len(self._known) >= self._limit or len(name) > _MAX_NAME:
            return "other"
        self._known.add(name)
        return name


def error_codes(body: bytes) -> list[str]:
    """The `extensions.code` of each error in a GraphQL response body.

    "NONE" when an error has no code, "OTHER" for a code outside the vocabulary (SPEC §8).
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors[:_MAX_CODES]:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if code is None:
            codes.append("NONE")
        else:
            codes.append(code if isinstance(code, str) and code in _CODES else "OTHER")
    return codes


class _Exchange:
    """What the middleware learns from one response as it is sent."""

    def __init__(self) -> None:
        self.status = 500  # nothing sent: the app failed
        self.errors_body: bytearray | None = None

    def see(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            chunk: bytes = message.get("body", b"")
            if self.errors_body is None and chunk.startswith(_ERRORS_PREFIX):
                self.errors_body = bytearray()
            if self.errors_body is not None:
                self.errors_body += chunk


class MetricsMiddleware:
    """Counts /graphql requests by operation and status, their errors and their latency."""

    def __init__(self, app: ASGIApp, max_operations: int = 100, path: str = "/graphql") -> None:
        self.app = app
        self._path = path
        self._names = OperationNames(max_operations)
        # Bounded: operation labels are capped and statuses are HTTP's.
        self._series: dict[tuple[str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self._path:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        exchange = _Exchange()

        async def observed_send(message: Message) -> None:
            exchange.see(message)
            await send(message)

        started = time.perf_counter()
        metrics.GRAPHQL_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, observed_send)
        finally:
            metrics.GRAPHQL_IN_PROGRESS.dec()
            self._record(exchange, state.get(_STATE_KEY), time.perf_counter() - started)

    def _record(self, exchange: _Exchange, name: str | None, seconds: float) -> None:
        operation = self._names.label(name)
        key = (operation, exchange.status)
        series = self._series.get(key)
        if series is None:  # `labels()` costs more than the update itself: look it up once
            series = self._series[key] = (
                metrics.GRAPHQL_REQUESTS.labels(operation, str(exchange.status)),
                metrics.GRAPHQL_DURATION.labels(operation),
            )
        series[0].inc()
        series[1].observe(seconds)
        if exchange.status == 429:
            metrics.GRAPHQL_RATE_LIMITED.labels(operation).inc()
        if exchange.errors_body is not None:
            for code in error_codes(bytes(exchange.errors_body)):
                metrics.GRAPHQL_ERRORS.labels(code).inc()
