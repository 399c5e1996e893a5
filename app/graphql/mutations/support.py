"""What every mutation shares: problems → userErrors, and idempotency keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.graphql.context import Info
from app.graphql.errors import UserError
from app.metrics import versions
from app.services import idempotency
from app.services.outcomes import Outcome, Problem

T = TypeVar("T")

IDEMPOTENCY_KEY_DESCRIPTION = (
    "Client-chosen key (1–200 characters). A retry with the same key within 10 minutes returns "
    "the first result and creates nothing new; the same key with other arguments is refused "
    "with IDEMPOTENCY_KEY_REUSED."
)


def user_errors(problems: list[Problem]) -> list[UserError]:
    """GraphQL user errors for domain problems."""
    return [
        UserError(field=list(p.field) or None, message=p.message, code=p.code) for p in problems
    ]


def stored_problems(result: dict[str, Any]) -> list[UserError]:
    """User errors recorded in an idempotency result."""
    return [UserError(**item) for item in result.get("userErrors", [])]


async def idempotent(
    info: Info,
    mutation: str,
    key: str | None,
    arguments: dict[str, Any],
    perform: Callable[[], Awaitable[Outcome[T]]],
    to_result: Callable[[Outcome[T]], dict[str, Any]],
) -> dict[str, Any]:
    """Run `perform` once per idempotency key and return its stored result.

    The result is a JSON-able dict with at least `userErrors`; without a key, `perform` simply
    runs. `perform` and the record of its result commit together or not at all: a mutation
    that fails half-way (the database lost mid-request) leaves nothing behind. Side effects
    outside the database (enqueueing a refresh) belong after this returns, on committed rows.
    """

    def problems_result(outcome: Outcome[T]) -> dict[str, Any]:
        result = to_result(outcome)
        result["userErrors"] = [
            {"field": list(p.field) or None, "message": p.message, "code": p.code}
            for p in outcome.problems
        ]
        return result

    if key is None:
        # One transaction: the data versions of what `perform` wrote move once, at its end.
        async with versions.writing():
            return problems_result(await perform())
    ctx = info.context
    if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH:
        return problems_result(
            Outcome.fail(
                "INVALID_IDEMPOTENCY_KEY",
                "idempotencyKey must hold 1 to 200 characters",
                "idempotencyKey",
            )
        )
    digest = idempotency.request_hash(arguments)
    ttl = ctx.settings.idempotency_ttl_seconds
    record = await idempotency.recall(ctx.tenant, mutation, key, ttl)
    if record is None:
        async with versions.writing():
            result = problems_result(await perform())
            record = await idempotency.remember(ctx.tenant, mutation, key, digest, result)
    if record.request_hash != digest:
        return problems_result(
            Outcome.fail(
                "IDEMPOTENCY_KEY_REUSED",
                "This idempotencyKey was used with other arguments in the last 10 minutes",
                "idempotencyKey",
            )
        )
    stored: dict[str, Any] = record.result
    return stored
