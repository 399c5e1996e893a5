"""Unexpected exceptions are masked for clients, keep a code, and are logged with the request id."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from app.graphql.errors import NotFound
from app.graphql.http_response import format_error


def test_unexpected_exception_is_masked_and_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = RuntimeError("password=hunter2 leaked in a driver message")
    error = GraphQLError("boom", path=["accounts", "nodes", 0], original_error=original)
    with caplog.at_level(logging.ERROR, logger="creatoraudit.graphql"):
        formatted = format_error(error, "req-42")
    assert formatted["message"] == "Internal server error"
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "hunter2" not in str(formatted)
    assert formatted["path"] == ["accounts", "nodes", 0]
    [record] = caplog.records
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert record.exc_info is not None
    assert record.exc_info[1] is original


def test_coded_error_keeps_its_code_and_details() -> None:
    error = GraphQLError("x", path=["node"], original_error=NotFound("No such thing", field="id"))
    formatted = format_error(error, "req")
    assert formatted["message"] == "No such thing"
    assert formatted["extensions"] == {"code": "NOT_FOUND", "field": "id"}


def test_document_errors_without_a_path_are_bad_user_input() -> None:
    formatted = format_error(GraphQLError("Cannot query field 'nope'"), "req")
    assert formatted["extensions"] == {"code": "BAD_USER_INPUT"}
