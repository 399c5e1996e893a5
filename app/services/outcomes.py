"""The result type of domain operations: a value or expected problems, never both."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """An expected problem with the input (becomes a GraphQL `UserError`)."""

    code: str
    message: str
    field: tuple[str, ...] = ()


@dataclass(slots=True)
class Outcome(Generic[T]):
    """What a domain operation produced: `value`, or `problems` explaining why not."""

    value: T | None = None
    problems: list[Problem] = field(default_factory=list)
    created: bool = False

    @classmethod
    def fail(cls, code: str, message: str, *path: str) -> Outcome[T]:
        """An outcome with a single problem."""
        return cls(problems=[Problem(code, message, path)])
