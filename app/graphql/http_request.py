"""Reading a GraphQL-over-HTTP request: media types, credentials, bounded bodies, parameters."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from app.graphql.errors import ApiError, BadUserInput
from app.graphql.input_bounds import refusal_of
from app.graphql.persisted import DocumentRequest

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Request parameters that name a document without its text (GET query string or POST body).
DOCUMENT_ID_PARAMS = ("documentId", "doc_id")
# Characters of `operationName` and `documentId` (trusted document ids are at most 200 long).
MAX_NAME_LENGTH = 200


class HttpError(Exception):
    """A request that fails before GraphQL execution, with its HTTP status."""

    def __init__(
        self,
        status: int,
        error: ApiError,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error.message)
        self.status = status
        self.error = error
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """The parameters of a GraphQL-over-HTTP request."""

    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    document_id: str | None = None

    @property
    def document(self) -> DocumentRequest:
        """What the request says about its document."""
        return DocumentRequest(self.query, self.document_id, self.extensions)


def bad_request(message: str) -> HttpError:
    """A malformed GraphQL-over-HTTP request (HTTP 400)."""
    return HttpError(400, BadUserInput(message))


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None when none is acceptable."""
    if not accept:
        return JSON
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.strip().lower(), quality))

    def quality_of(media_type: str) -> float:
        best = -1.0
        for media, quality in ranges:
            if media in (media_type, "*/*", media_type.split("/")[0] + "/*"):
                best = max(best, quality)
        return best

    candidates = [(quality_of(GRAPHQL_RESPONSE), 1, GRAPHQL_RESPONSE), (quality_of(JSON), 0, JSON)]
    # An explicit graphql-response+json wins ties; a bare */* gets legacy application/json.
    explicit = any(media == GRAPHQL_RESPONSE for media, _ in ranges)
    if not explicit:
        candidates[0] = (quality_of(GRAPHQL_RESPONSE) - 0.001, 1, GRAPHQL_RESPONSE)
    quality, _, chosen = max(candidates)
    return chosen if quality > 0 else None


def _json_param(raw: str | None, name: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request(f"`{name}` is not valid JSON") from None
    if value is not None and not isinstance(value, dict):
        raise bad_request(f"`{name}` must be a JSON object")
    return value


def _optional_string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"`{name}` must be a string")
    return value


def _optional_object(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = data.get(name)
    if value is not None and not isinstance(value, dict):
        raise bad_request(f"`{name}` must be an object")
    return value


def _bounded(value: str | None, name: str) -> str | None:
    """A name sent beside the document: at most MAX_NAME_LENGTH characters, no NUL."""
    if value is not None:
        refused = refusal_of(value, name, MAX_NAME_LENGTH)
        if refused is not None:
            raise HttpError(400, refused)
    return value


def _from_mapping(data: dict[str, Any]) -> GraphQLRequest:
    ids = [data[name] for name in DOCUMENT_ID_PARAMS if data.get(name) is not None]
    if any(not isinstance(value, str) or not value for value in ids):
        raise bad_request("`documentId` must be a non-empty string")
    return GraphQLRequest(
        query=_optional_string(data, "query"),
        variables=_optional_object(data, "variables"),
        operation_name=_bounded(_optional_string(data, "operationName"), "operationName"),
        extensions=_optional_object(data, "extensions"),
        document_id=_bounded(ids[0], "documentId") if ids else None,
    )


def _from_query_string(request: Request, max_bytes: int) -> GraphQLRequest:
    if len(request.scope.get("query_string", b"")) > max_bytes:
        refused = BadUserInput(
            f"The query string exceeds {max_bytes} bytes; send long documents by POST",
            reason="TOO_LONG",
            maxLength=max_bytes,
        )
        raise HttpError(414, refused)
    params = request.query_params
    mapping: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
        "variables": _json_param(params.get("variables"), "variables"),
        "extensions": _json_param(params.get("extensions"), "extensions"),
    }
    for name in DOCUMENT_ID_PARAMS:
        mapping[name] = params.get(name)
    return _from_mapping(mapping)


async def read_body(request: Request, max_bytes: int, read_seconds: float) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `max_bytes`, and with 408
    (closing the connection) when it is not received whole within `read_seconds`."""
    too_large = HttpError(413, BadUserInput(f"The request body exceeds {max_bytes} bytes"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(read_seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        slow = BadUserInput(
            f"The request body was not received within {read_seconds:g} seconds",
            reason="BODY_TIMEOUT",
            timeoutSeconds=read_seconds,
        )
        # The rest of the body may still arrive: the connection cannot serve another request.
        raise HttpError(408, slow, {"Connection": "close"}) from None
    return b"".join(chunks)


async def read_request(
    request: Request, max_bytes: int, read_seconds: float, max_query_string_bytes: int
) -> GraphQLRequest:
    """Parse a GET query string or a POST JSON body into request parameters."""
    if request.method == "GET":
        return _from_query_string(request, max_query_string_bytes)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise HttpError(
            415,
            BadUserInput("POST bodies must be application/json"),
            {"Accept": JSON},
        )
    return parse_json_body(await read_body(request, max_bytes, read_seconds))


def parse_json_body(body: bytes) -> GraphQLRequest:
    """The parameters of a POST body (application/json)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object")
    return _from_mapping(data)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def wants_graphiql(request: Request) -> bool:
    """A browser navigating to /graphql: show GraphiQL instead of running a query.

    Any GraphQL parameter — a query, a persisted-query hash, a document id — means a client
    asks for data, whatever its Accept header says.
    """
    if request.method != "GET":
        return False
    params = request.query_params
    if any(name in params for name in ("query", "extensions", *DOCUMENT_ID_PARAMS)):
        return False
    return "text/html" in request.headers.get("accept", "")
