"""The /graphql endpoint, following the GraphQL-over-HTTP specification.

Strawberry's own view cannot give us what SPEC §8–9 ask (401 before parsing, 405 for mutations
over GET, `application/graphql-response+json` status codes, coded errors, persisted documents,
cost-based rate limits), so the endpoint is ours. A request goes through:
authenticate → read (bounded) → resolve the document (text, APQ hash, trusted id; persisted-only)
→ prepared document (parsed, bounded, validated once per process) → operation → cost →
one rate-limit spend → execute, or take the answer from the result cache
(`app.graphql.result_cache`) → response with rate-limit headers, `extensions.cost` and, for
GET answers of persisted documents, an ETag.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app import models
from app.graphql.admission import Admitted, Refused, admit, refusal
from app.graphql.context import build_context
from app.graphql.cost import actual_cost
from app.graphql.errors import (
    BadUserInput,
    ErrorCode,
    PersistedQueryNotFound,
    PersistedQueryRequired,
    ServiceUnavailable,
    Unauthenticated,
)
from app.graphql.graphiql import render_graphiql_page
from app.graphql.http_request import (
    GRAPHQL_RESPONSE,
    JSON,
    HttpError,
    bearer_token,
    negotiate,
    read_request,
    wants_graphiql,
)
from app.graphql.http_response import (
    CACHEABLE_HEADERS,
    OUTAGES,
    error_payload,
    etag_matches,
    etag_of,
    format_error,
    render,
    render_bytes,
    unavailable_response,
    with_extensions,
)
from app.graphql.persisted import DocumentResolver
from app.graphql.rate_limiting import UNAVAILABLE_RETRY_SECONDS, RateGate, Spent
from app.graphql.result_cache import CachedAnswer, ResultCache
from app.graphql.schema import schema
from app.observability.http_metrics import note_operation
from app.outages import RETRY_AFTER_SECONDS, Service, outage_of
from app.services.api_keys import authenticate
from app.services.query_registry import RegistryUnavailable
from app.settings import Settings

__all__ = ["format_error", "graphql_endpoint"]

logger = logging.getLogger("creatoraudit.graphql")


async def graphql_endpoint(request: Request) -> Response:
    """Handle GET and POST /graphql."""
    settings: Settings = request.app.state.settings
    if request.method == "OPTIONS":  # not a CORS preflight (the CORS middleware answers those)
        return Response(status_code=204, headers={"Allow": "GET, POST, OPTIONS"})
    if request.method not in ("GET", "POST"):
        refused = BadUserInput(f"{request.method} is not allowed; use GET or POST")
        return render({"errors": [error_payload(refused)]}, 405, JSON, {"Allow": "GET, POST"})
    if wants_graphiql(request):
        return HTMLResponse(render_graphiql_page(endpoint=request.url.path))
    media_type = negotiate(request.headers.get("accept"))
    if media_type is None:
        return Response(
            "Acceptable media types: application/graphql-response+json, application/json",
            status_code=406,
        )
    try:
        response = await _handle(request, settings, media_type)
    except HttpError as exc:
        return render({"errors": [error_payload(exc.error)]}, exc.status, media_type, exc.headers)
    except Exception as exc:
        # The database (or Redis) did not answer outside a resolver: authentication, the
        # document registry, idempotency records.
        service = outage_of(exc)
        if service is None:
            raise
        OUTAGES.failed(service, exc)
        return unavailable_response(service, media_type)
    if response.status_code < 500:
        OUTAGES.recovered_all()
    return response


async def _authenticate(request: Request) -> models.ApiKey:
    token = bearer_token(request)
    api_key = await authenticate(token) if token else None
    if api_key is None:
        message = "Missing API key" if token is None else "Invalid or revoked API key"
        raise HttpError(401, Unauthenticated(message), {"WWW-Authenticate": 'Bearer realm="api"'})
    request.state.organization_id = api_key.organization_id
    return api_key


async def _handle(request: Request, settings: Settings, media_type: str) -> Response:
    api_key = await _authenticate(request)
    gate: RateGate = request.app.state.rate_gate
    gate.refuse_early(api_key)
    try:
        admitted: Admitted | Refused = await _admit(request, settings, api_key, media_type)
    except Refused as refused:
        admitted = refused
    # One spend per authenticated request: its cost plus the preparation of a new document; a
    # refused request its preparation, or one point.
    spent = await gate.spend(api_key, admitted.charge)
    if isinstance(admitted, Refused):
        return render(
            {"errors": admitted.errors},
            admitted.status,
            media_type,
            {**admitted.headers, **spent.headers},
        )
    resolver: DocumentResolver = request.app.state.document_resolver
    try:
        await resolver.register(admitted.resolved)
    except RegistryUnavailable as exc:
        # The answer does not depend on the registration: the client registers again later.
        OUTAGES.failed(Service.REDIS, exc)
    return await _run(request, settings, api_key, admitted, spent, media_type)


async def _admit(
    request: Request, settings: Settings, api_key: models.ApiKey, media_type: str
) -> Admitted:
    try:
        limits = settings.limits
        params = await read_request(
            request,
            limits.max_body_bytes,
            limits.body_read_timeout_seconds,
            limits.max_query_string_bytes,
        )
    except HttpError as exc:
        raise refusal(exc.error, exc.status, exc.headers) from None
    request.state.operation_name = params.operation_name
    resolver: DocumentResolver = request.app.state.document_resolver
    try:
        resolved = await resolver.resolve(params.document, _persisted_only(settings, api_key))
    except PersistedQueryNotFound as exc:
        raise refusal(exc, exc.status) from None
    except RegistryUnavailable as exc:
        OUTAGES.failed(Service.REDIS, exc)
        unavailable = ServiceUnavailable("Persisted queries are unavailable; retry shortly")
        raise refusal(unavailable, 503, {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}) from None
    except (BadUserInput, PersistedQueryRequired) as exc:
        raise refusal(exc, 400) from None
    return admit(
        params,
        resolved,
        request.method,
        settings.limits,
        error_status=400 if media_type == GRAPHQL_RESPONSE else 200,
        request_id=request.state.request_id,
        note=lambda operation: note_operation(request.scope, operation),
    )


def _persisted_only(settings: Settings, api_key: models.ApiKey) -> bool:
    return (
        settings.persisted_queries.only
        or api_key.persisted_queries_only
        or api_key.organization.persisted_queries_only
    )


async def _run(
    request: Request,
    settings: Settings,
    api_key: models.ApiKey,
    admitted: Admitted,
    spent: Spent,
    media_type: str,
) -> Response:
    prepared = admitted.resolved.prepared
    cache: ResultCache | None = request.app.state.result_cache
    key = (
        None if cache is None else cache.key(api_key, prepared, admitted.operation, admitted.params)
    )
    if key is not None and cache is not None and (hit := cache.get(key)) is not None:
        charge = admitted.resolved.charge
        extensions = spent.cost_extension_of(admitted.cost, charge, hit.actual_cost)
        headers = dict(spent.headers)
        return _answer(request, admitted, hit.core, extensions, 200, media_type, headers, hit)
    request_id: str = request.state.request_id
    context = build_context(request, settings, api_key, request_id)
    context.document = prepared.document
    context.rate_limit = spent.decision
    try:
        result = await schema.execute(
            prepared.text,
            variable_values=admitted.params.variables,
            context_value=context,
            operation_name=admitted.params.operation_name,
            operation_extensions=admitted.params.extensions,
        )
    finally:
        context.loaders.release()
    errors = [format_error(e, request_id) for e in result.errors or []]
    executed = result.data is not None or any(e.path is not None for e in result.errors or [])
    payload: dict[str, Any] = {}
    if errors:
        payload["errors"] = errors
    if executed:
        payload["data"] = result.data
    status = 200 if executed else (400 if media_type == GRAPHQL_RESPONSE else 200)
    headers = {**context.response_headers, **spent.headers}
    if any(e["extensions"]["code"] == ErrorCode.SERVICE_UNAVAILABLE for e in errors):
        # A resolver lost the database: what did run stays in `data`, the client retries.
        status = 503
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    core = orjson.dumps(payload)
    preparation = admitted.resolved.charge
    if key is None or cache is None or errors or not executed or context.response_headers:
        extensions = spent.cost_extension(admitted.cost, preparation, result.data)
    else:
        actual = actual_cost(admitted.cost, result.data)
        cache.put(key, core, actual)
        extensions = spent.cost_extension_of(admitted.cost, preparation, actual)
    return _answer(request, admitted, core, extensions, status, media_type, headers)


def _answer(
    request: Request,
    admitted: Admitted,
    core: bytes,
    extensions: dict[str, Any] | None,
    status: int,
    media_type: str,
    headers: dict[str, str],
    cached: CachedAnswer | None = None,
) -> Response:
    """The response for an answer; GET answers of persisted documents carry an ETag."""
    if request.method == "GET" and admitted.resolved.by_reference and status == 200:
        etag = cached.etag(etag_of) if cached is not None else etag_of(core)
        headers.update(CACHEABLE_HEADERS, ETag=etag)
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
    return render_bytes(with_extensions(core, extensions), status, media_type, headers)
