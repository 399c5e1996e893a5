"""Counting the SQL statements Tortoise sends (for tests and benchmarks), optionally per request."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
# The tag of the request being served in this context (tasks it starts inherit it).
_REQUEST: ContextVar[str | None] = ContextVar("bench_request", default=None)


class _Counter(logging.Handler):
    def __init__(self, request: str | None) -> None:
        super().__init__(logging.DEBUG)
        self.request = request
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.request is not None and _REQUEST.get() != self.request:
            return
        message = record.getMessage()
        if message.lstrip().upper().startswith(_VERBS):
            self.statements.append(message)


@contextmanager
def count_statements(request: str | None = None) -> Iterator[list[str]]:
    """Collect the SQL statements Tortoise sends while the block runs.

    With `request`, only those sent while serving that request (see `tag_requests`): not the
    statements of background tasks (the embedded refresher's polls) or of other requests; the
    statements are then not passed on to the process's log handlers either.
    """
    log = logging.getLogger("tortoise.db_client")
    counter = _Counter(request)
    previous, propagate = log.level, log.propagate
    log.setLevel(logging.DEBUG)
    log.addHandler(counter)
    log.propagate = propagate and request is None
    try:
        yield counter.statements
    finally:
        log.removeHandler(counter)
        log.setLevel(previous)
        log.propagate = propagate


def tag_requests(app: ASGIApp) -> ASGIApp:
    """The app, serving each HTTP request carrying `X-Bench-Request: <tag>` under that tag."""

    async def tagged(scope: Scope, receive: Receive, send: Send) -> None:
        tag = None
        if scope["type"] == "http":
            tag = dict(scope["headers"]).get(b"x-bench-request")
        if tag is None:
            await app(scope, receive, send)
            return
        token = _REQUEST.set(tag.decode("latin-1"))
        try:
            await app(scope, receive, send)
        finally:
            _REQUEST.reset(token)

    return tagged
