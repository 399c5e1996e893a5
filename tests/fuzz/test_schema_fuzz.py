"""Schema-driven fuzzing of /graphql over HTTP: generated operations never cause an internal error.

hypothesis-graphql generates queries and mutations from the schema — valid ones, and ones with
one schema violation — with hostile scalars (any date from year 1 to 9999, any integer, any
text including NUL). Each is sent with an ADMIN key to a `creatoraudit serve` process; every
answer must be GraphQL JSON, below 500, with a code on every error and none of them
INTERNAL_SERVER_ERROR.

CI runs FUZZ_OPERATIONS (derandomized, so the same operations every time); a longer, random run:
    CREATORAUDIT_FUZZ_OPERATIONS=5000 .venv/bin/python -m pytest -p no:cacheprovider tests/fuzz
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from app.graphql.schema import schema
from app.models import Scope
from tests.conftest import Org
from tests.js.api_server import running_api_server

LONG_RUN = os.environ.get("CREATORAUDIT_FUZZ_OPERATIONS")
OPERATIONS = int(LONG_RUN or 600)
JSON_TYPES = ("application/json", "application/graphql-response+json")

SCALARS = {
    "Date": st.dates().map(nodes.String),
    "DateTime": st.datetimes(timezones=st.sampled_from([None, UTC])).map(
        lambda moment: nodes.String(moment.isoformat())
    ),
    "BigInt": st.one_of(st.integers().map(nodes.Int), st.integers().map(nodes.String)),
}
OPERATIONS_STRATEGY = st.one_of(
    from_schema(schema._schema, custom_scalars=SCALARS),
    from_schema(schema._schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
)


@pytest.fixture
def fuzz_server(org: Org, database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """A `creatoraudit serve` process without rate limits, and a client with an ADMIN key."""
    env = {"CREATORAUDIT_RATE_LIMIT__ENABLED": "false"}
    with running_api_server(database_url, tmp_path, env) as server:
        headers = {"Authorization": f"Bearer {org.keys[Scope.ADMIN]}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
            yield client
        log = server.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:8000]


def check(response: httpx.Response, document: str) -> None:
    """The answer is coded GraphQL JSON, never an internal error."""
    context = f"{response.status_code} for:\n{document}\n{response.text[:2000]}"
    assert response.status_code < 500, context
    assert response.headers["content-type"].startswith(JSON_TYPES), context
    body: dict[str, Any] = orjson.loads(response.content)
    assert "data" in body or "errors" in body, context
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    assert None not in codes, context
    assert "INTERNAL_SERVER_ERROR" not in codes, context


# Generating an operation takes hypothesis-graphql ≈ 40 ms; sending it ≈ 5 ms.
@pytest.mark.timeout(120 + OPERATIONS // 5)
def test_generated_operations_never_cause_an_internal_error(fuzz_server: httpx.Client) -> None:
    @settings(
        max_examples=OPERATIONS,
        deadline=None,
        database=None,
        derandomize=LONG_RUN is None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(document=OPERATIONS_STRATEGY)
    def run(document: str) -> None:
        check(fuzz_server.post("/graphql", json={"query": document}), document)

    run()
