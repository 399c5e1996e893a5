"""Reading through the result cache in tests: hits are proven by the statements they send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from app.models import Scope
from tests.conftest import GraphQLResponse, Org, count_statements

# A cached answer still authenticates: the key and its organization, one statement.
HIT_STATEMENTS = 1


@dataclass
class Read:
    """One answer and how many SQL statements the process sent to give it."""

    data: Any
    statements: int
    body: bytes

    @property
    def hit(self) -> bool:
        return self.statements == HIT_STATEMENTS


async def read(
    org: Org, query: str, variables: dict[str, Any] | None = None, scope: Scope = Scope.READ
) -> Read:
    """Ask `query` over HTTP, counting the statements it cost."""
    with count_statements() as statements:
        response = await org.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {org.keys[scope]}"},
        )
    decoded = GraphQLResponse.of(response)
    return Read(decoded.data, len(statements), answer_bytes(response.content))


def answer_bytes(body: bytes) -> bytes:
    """The body as sent, without `extensions` (the cost and budget, new on every request)."""
    cut = body.rfind(b',"extensions":')
    return body if cut < 0 else body[:cut] + b"}"


async def warm(
    org: Org, query: str, variables: dict[str, Any] | None = None, scope: Scope = Scope.READ
) -> Any:
    """Ask twice: the second answer must come from the cache, identical."""
    first = await read(org, query, variables, scope)
    second = await read(org, query, variables, scope)
    assert second.hit, f"a repeated read sent {second.statements} statements"
    assert second.body == first.body
    return second.data


async def fresh(
    org: Org, query: str, variables: dict[str, Any] | None = None, scope: Scope = Scope.READ
) -> Any:
    """The next answer after a write: it must execute (a miss), then be cached again."""
    after = await read(org, query, variables, scope)
    assert not after.hit, "a read after a write was answered from the cache"
    again = await read(org, query, variables, scope)
    assert again.hit
    assert again.body == after.body
    return after.data


async def mutate(org: Org, mutation: str, variables: dict[str, Any] | None = None) -> Any:
    """Run a mutation with the ADMIN key; it must report no user errors."""
    data = (await org.gql(mutation, variables)).data
    for payload in data.values():
        if isinstance(payload, dict) and "userErrors" in payload:
            assert payload["userErrors"] == [], payload
    return data


@contextmanager
def replaced_state(app: Starlette, **state: Any) -> Iterator[None]:
    """The app's request services (its cache, its rate gate) replaced for the block."""
    saved = {name: getattr(app.state, name) for name in state}
    for name, value in state.items():
        setattr(app.state, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(app.state, name, value)
