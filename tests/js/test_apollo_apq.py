"""Apollo Client's persisted-query link, unmodified, against `serve`: APQ over POST and GET."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Org
from tests.js.api_server import ApiServer, run_node
from tests.js.conftest import ServeApi

REDIS_URL = "redis://127.0.0.1:6379"


def assert_apq_sequence(summary: dict[str, Any], mode: str, organization_name: str) -> None:
    """Hash-only → PersistedQueryNotFound → text + hash → data; then hash-only → data."""
    hash_method = "GET" if mode == "get" else "POST"
    exchanges = summary["exchanges"]
    steps = [
        (
            e["client"],
            e["method"],
            e["sentQuery"],
            e["persistedQuery"],
            e["status"],
            [(x["message"], x["code"]) for x in e["errors"]],
            e["hasData"],
        )
        for e in exchanges
    ]
    persisted = {"version": 1, "sha256Hash": summary["hash"]}
    not_found = [("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")]
    assert steps == [
        ("first", hash_method, False, persisted, 200, not_found, False),
        ("first", "POST", True, persisted, 200, [], True),
        ("second", hash_method, False, persisted, 200, [], True),
    ], exchanges
    for client in ("first", "second"):
        result = summary["results"][client]
        assert result["error"] is None, result
        assert result["data"]["viewer"]["organization"]["name"] == organization_name
    assert summary["deviations"] == []


@pytest.mark.parametrize("mode", ["post", "get"])
def test_apollo_persisted_queries(
    api_server: ApiServer, org: Org, read_key: str, mode: str
) -> None:
    run = run_node("apollo_apq.mjs", api_server.graphql_url, read_key, mode)

    assert run.returncode == 0, run.describe()
    assert_apq_sequence(run.summary, mode, org.organization.name)


@pytest.mark.parametrize("mode", ["post", "get"])
def test_apollo_persisted_queries_across_processes(
    serve_api: ServeApi, org: Org, read_key: str, mode: str
) -> None:
    """Registered through one API process, found by another: the registry lives in Redis."""
    settings = {"CREATORAUDIT_REDIS_URL": REDIS_URL}
    first, second = serve_api(settings), serve_api(settings)

    run = run_node("apollo_apq.mjs", first.graphql_url, read_key, mode, second.graphql_url)

    assert run.returncode == 0, run.describe()
    summary = run.summary
    assert_apq_sequence(summary, mode, org.organization.name)
    hosts = [e["host"] for e in summary["exchanges"]]
    assert hosts == [f"127.0.0.1:{first.port}"] * 2 + [f"127.0.0.1:{second.port}"]
    for server in (first, second):
        assert not server.problems_logged(), server.log()


def test_apollo_link_reaction_to_statuses() -> None:
    """What the installed link does with each answer to a hash-only request (no server).

    Documents why the API answers an unknown hash with HTTP 200 and a GraphQL body: the link
    resends the text whenever the body is a GraphQL result carrying PersistedQueryNotFound (or
    PERSISTED_QUERY_NOT_FOUND), whatever the status; a body that is not one (a plain 404 or 500
    page) ends the query with an error and no retry; nothing but PersistedQueryNotSupported
    switches hashing off for later queries.
    """
    run = run_node("apollo_apq_statuses.mjs")

    assert run.returncode == 0, run.describe()
    for case in run.summary["cases"]:
        graphql_body = case["body"] != "text-plain"
        assert case["resentWithText"] is graphql_body, case
        assert (case["outcome"] == "data") is graphql_body, case
        assert case["laterQueriesHashOnly"] is True, case
