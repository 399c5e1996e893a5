"""Counting the SQL statements Tortoise sends (for tests and benchmarks)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(_VERBS):
            self.statements.append(message)


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Collect the SQL statements Tortoise sends while the block runs."""
    log = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    previous = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(counter)
    try:
        yield counter.statements
    finally:
        log.removeHandler(counter)
        log.setLevel(previous)
