"""Schema-driven fuzzing of /graphql over HTTP: generated operations never cause an internal error.

hypothesis-graphql generates queries and mutations from the schema — valid ones, and ones with
one schema violation — with hostile scalars (any date from year 1 to 9999, date-times with or
without an offset, often at the ends of the calendar, any integer, any text including NUL). Each
is sent with an ADMIN key to a `creatoraudit serve` process, its argument values as literals,
as variables or as variable defaults, for an organization holding the example import (accounts,
videos, metrics); every answer must be GraphQL JSON, below 500, with a code on every error and
none of them INTERNAL_SERVER_ERROR.

CI runs FUZZ_OPERATIONS (derandomized, so the same operations every time); a longer, random run:
    CREATORAUDIT_FUZZ_OPERATIONS=5000 .venv/bin/python -m pytest -p no:cacheprovider tests/fuzz
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import DocumentNode, NullValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from app import models
from app.graphql.ids import encode_id
from app.graphql.schema import schema
from app.importer import import_file
from app.models import Scope
from tests.conftest import Org
from tests.fuzz.variables import Given, request_body
from tests.js.api_server import running_api_server

LONG_RUN = os.environ.get("CREATORAUDIT_FUZZ_OPERATIONS")
OPERATIONS = int(LONG_RUN or 600)
JSON_TYPES = ("application/json", "application/graphql-response+json")


# Offsets up to ±23:59. Half the date-times are the first instant of the calendar with a positive
# offset or the last with a negative one: they have no UTC equivalent (publishedAfter and
# publishedBefore failed with INTERNAL_SERVER_ERROR on them before fuzzing tried them).
def _offset(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


OFFSETS = st.one_of(st.none(), st.just(UTC), st.integers(-1439, 1439).map(_offset))
ENDS = st.one_of(
    st.integers(1, 1439).map(lambda minutes: datetime.min.replace(tzinfo=_offset(minutes))),
    st.integers(1, 1439).map(lambda minutes: datetime.max.replace(tzinfo=_offset(-minutes))),
)
MOMENTS = st.one_of(ENDS, st.datetimes(timezones=OFFSETS))
SCALARS = {
    "Date": st.dates().map(nodes.String),
    "DateTime": MOMENTS.map(lambda moment: nodes.String(moment.isoformat())),
    "BigInt": st.one_of(st.integers().map(nodes.Int), st.integers().map(nodes.String)),
    # Small page sizes half the time, so that more operations get past their bounds and run.
    "Int": st.one_of(st.integers(1, 20), st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
}


def documents(ids: list[str]) -> st.SearchStrategy[DocumentNode]:
    """Valid operations and operations with one violation; IDs often of the seeded objects.

    Texts and IDs are often null: an operation whose every argument is garbage is refused on
    its first one and never reaches the database with the others.
    """
    null = st.just(NullValueNode())
    scalars = {
        **SCALARS,
        "ID": st.one_of(null, st.sampled_from(ids).map(nodes.String), st.text().map(nodes.String)),
        "String": st.one_of(null, st.text().map(nodes.String)),
    }
    return st.one_of(
        from_schema(schema._schema, custom_scalars=scalars, print_ast=lambda node: node),
        from_schema(
            schema._schema, custom_scalars=scalars, print_ast=lambda node: node, mode=Mode.NEGATIVE
        ),
    )


FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "example.csv"


@pytest.fixture
async def seeded_ids(org: Org) -> list[str]:
    """The example import in the organization (accounts, videos, metrics); their global ids."""
    report = await import_file(org.id, FIXTURE)
    assert report.exit_code == 0
    accounts = await models.Account.filter(organization_id=org.id).all()
    videos = await models.Video.filter(organization_id=org.id).all()
    return [encode_id("Account", account.id) for account in accounts] + [
        encode_id("IndividualVideo" if video.is_individual else "AccountVideo", video.id)
        for video in videos
    ]


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


def check(response: httpx.Response, document: object) -> None:
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
def test_generated_operations_never_cause_an_internal_error(
    fuzz_server: httpx.Client, seeded_ids: list[str]
) -> None:
    @settings(
        max_examples=OPERATIONS,
        deadline=None,
        database=None,
        derandomize=LONG_RUN is None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(document=documents(seeded_ids), how=st.sampled_from(Given))
    def run(document: DocumentNode, how: Given) -> None:
        body = request_body(document, schema._schema, how)
        check(fuzz_server.post("/graphql", json=body), body)

    run()
