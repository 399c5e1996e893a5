"""The /graphql endpoint, following the GraphQL-over-HTTP specification.

Strawberry's own view cannot give us what SPEC §8–9 ask (401 before parsing, 405 for mutations
over GET, `application/graphql-response+json` status codes, coded errors), so the endpoint is
ours and calls `schema.execute` directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationType,
    get_operation_ast,
    parse,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app.graphql import limits
from app.graphql.context import build_context
from app.graphql.errors import (
    ApiError,
    BadUserInput,
    ErrorCode,
    QueryTooComplex,
    Unauthenticated,
)
from app.graphql.graphiql import render_graphiql_page
from app.graphql.schema import schema
from app.services.api_keys import authenticate
from app.settings import Settings

logger = logging.getLogger("creatoraudit.graphql")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


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


def _from_mapping(data: dict[str, Any]) -> GraphQLRequest:
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise bad_request("`query` must be a string")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request("`operationName` must be a string")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise bad_request("`variables` must be an object")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise bad_request("`extensions` must be an object")
    return GraphQLRequest(query, variables, operation_name, extensions)


async def read_request(request: Request) -> GraphQLRequest:
    """Parse a GET query string or a POST JSON body into request parameters."""
    if request.method == "GET":
        params = request.query_params
        return _from_mapping(
            {
                "query": params.get("query"),
                "operationName": params.get("operationName") or None,
                "variables": _json_param(params.get("variables"), "variables"),
                "extensions": _json_param(params.get("extensions"), "extensions"),
            }
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise HttpError(
            415,
            BadUserInput("POST bodies must be application/json"),
            {"Accept": JSON},
        )
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object")
    return _from_mapping(data)


@lru_cache(maxsize=512)
def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """Parse with a token limit; cached because clients repeat the same documents."""
    return parse(query, max_tokens=max_tokens)


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def wants_graphiql(request: Request) -> bool:
    """A browser navigating to /graphql: show GraphiQL instead of running a query."""
    if request.method != "GET" or "query" in request.query_params:
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def error_payload(error: ApiError) -> dict[str, Any]:
    """A GraphQL error object for an ApiError."""
    return {"message": error.message, "extensions": error.extensions}


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """A client-facing error: coded errors kept, unexpected ones masked but logged."""
    original = error.original_error
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path is not None:
        formatted["path"] = list(error.path)
    if isinstance(original, ApiError):
        formatted["message"] = original.message
        formatted["extensions"] = original.extensions
    elif original is None or error.path is None:
        # Parse, validation and variable-coercion errors describe the client's document.
        formatted["extensions"] = {"code": ErrorCode.BAD_USER_INPUT.value}
    else:
        logger.error(
            "unexpected error in resolver",
            exc_info=original,
            extra={"request_id": request_id, "path": error.path},
        )
        formatted["message"] = "Internal server error"
        formatted["extensions"] = {
            "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
            "requestId": request_id,
        }
    return formatted


def render(
    payload: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """Serialise a GraphQL response."""
    return Response(
        orjson.dumps(payload),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )


async def graphql_endpoint(request: Request) -> Response:
    """Handle GET and POST /graphql."""
    settings: Settings = request.app.state.settings
    request_id: str = request.state.request_id
    if request.method not in ("GET", "POST"):
        return Response(status_code=405, headers={"Allow": "GET, POST"})
    if wants_graphiql(request):
        return HTMLResponse(render_graphiql_page(endpoint=request.url.path))
    media_type = negotiate(request.headers.get("accept"))
    if media_type is None:
        return Response(
            "Acceptable media types: application/graphql-response+json, application/json",
            status_code=406,
        )
    try:
        return await _execute(request, settings, request_id, media_type)
    except HttpError as exc:
        return render({"errors": [error_payload(exc.error)]}, exc.status, media_type, exc.headers)


async def _execute(
    request: Request, settings: Settings, request_id: str, media_type: str
) -> Response:
    token = bearer_token(request)
    api_key = await authenticate(token) if token else None
    if api_key is None:
        message = "Missing API key" if token is None else "Invalid or revoked API key"
        raise HttpError(401, Unauthenticated(message), {"WWW-Authenticate": 'Bearer realm="api"'})
    request.state.organization_id = api_key.organization_id
    params = await read_request(request)
    request.state.operation_name = params.operation_name
    if not params.query:
        raise bad_request("No GraphQL query found in the request")
    request_error_status = 400 if media_type == GRAPHQL_RESPONSE else 200
    try:
        document = parse_document(params.query, settings.limits.max_tokens)
    except GraphQLSyntaxError as exc:
        if "tokens. Parsing aborted" in exc.message:
            too_long = QueryTooComplex(
                f"The document has more than {settings.limits.max_tokens} tokens",
                maxTokens=settings.limits.max_tokens,
            )
            return render({"errors": [error_payload(too_long)]}, request_error_status, media_type)
        return render({"errors": [format_error(exc, request_id)]}, request_error_status, media_type)
    operation = get_operation_ast(document, params.operation_name)
    if operation is not None:
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            raise HttpError(
                405,
                BadUserInput(f"{operation.operation.value.capitalize()}s are not allowed over GET"),
                {"Allow": "POST"},
            )
        try:
            limits.enforce(limits.measure(document, operation), settings.limits)
        except QueryTooComplex as exc:
            return render({"errors": [error_payload(exc)]}, request_error_status, media_type)
    context = build_context(request, settings, api_key, request_id)
    result = await schema.execute(
        params.query,
        variable_values=params.variables,
        context_value=context,
        operation_name=params.operation_name,
        operation_extensions=params.extensions,
    )
    errors = [format_error(e, request_id) for e in result.errors or []]
    executed = result.data is not None or any(e.path is not None for e in result.errors or [])
    payload: dict[str, Any] = {}
    if errors:
        payload["errors"] = errors
    if executed:
        payload["data"] = result.data
    status = 200 if executed else request_error_status
    return render(payload, status, media_type, context.response_headers)
