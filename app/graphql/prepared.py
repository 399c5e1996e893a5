"""Documents parsed, measured and validated once per process, kept in a bounded cache."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    Token,
    validate,
)
from strawberry.extensions import SchemaExtension

from app.graphql import input_bounds, limits, speedups
from app.graphql.errors import ApiError, QueryTooComplex
from app.graphql.lexer import parse_document
from app.services.trusted_documents import sha256_hex
from app.settings import LimitSettings

speedups.install()

# What a prepared document costs in memory, estimated from its text and tokens (graphql-core
# keeps every token, comments included, linked from the AST). Measured in
# tests/graphql/test_document_cache.py, where the estimate must stay above a deep measure of
# hostile documents: the text up to four times over (the source, token values, validation
# messages quoting names), a fixed part, and each token with its AST nodes.
TEXT_COPIES = 4
ENTRY_BYTES = 4096
TOKEN_BYTES = 1024


def _tokens(document: DocumentNode | None) -> int:
    """Tokens the document keeps alive (its linked list, comments included)."""
    if document is None or document.loc is None:
        return 0
    count = 0
    token: Token | None = document.loc.start_token
    while token is not None:
        count += 1
        token = token.next
    return count


def estimated_bytes(text: str, document: DocumentNode | None) -> int:
    """Memory a prepared document of `text` is counted for in the cache."""
    return estimated_size(text, _tokens(document))


def estimated_size(text: str, tokens: int) -> int:
    """Memory a prepared document of `text` with `tokens` tokens is counted for."""
    return TEXT_COPIES * sys.getsizeof(text) + ENTRY_BYTES + TOKEN_BYTES * tokens


# What preparing a new document is charged (README: cost model), in rate-limit points: about
# what the same CPU time costs when spent executing (≈ 35 points per ms). Measured by
# `creatoraudit benchmark-limits` on the worst documents the limits admit.
TOKENS_PER_POINT = 4
POINTS_PER_FIELD = 1
CHECKS_PER_POINT = 10


@dataclass(frozen=True, slots=True)
class Work:
    """What preparing a document did: tokens lexed, fields and field comparisons validated."""

    tokens: int = 0
    fields: int = 0
    checks: int = 0

    @property
    def points(self) -> int:
        """The rate-limit points this preparation is charged (at least 1)."""
        return max(
            1,
            -(-self.tokens // TOKENS_PER_POINT)
            + self.fields * POINTS_PER_FIELD
            + -(-self.checks // CHECKS_PER_POINT),
        )


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document text with what checking it found, ready to execute when `ok`."""

    text: str
    sha256: str
    document: DocumentNode | None = None
    # A refusal of the document as a whole (token, depth, alias, field or overlap limits).
    refusal: ApiError | None = None
    # Syntax and validation errors: the client's document is wrong.
    errors: tuple[GraphQLError, ...] = field(default=())
    # Maximum length of the strings each variable may hold (app.graphql.input_bounds).
    variable_limits: input_bounds.Limits = field(default_factory=dict)
    # What preparing it took: charged to the request that prepared it.
    work: Work = field(default_factory=Work)

    @property
    def ok(self) -> bool:
        """Parsed, within the limits and valid."""
        return self.document is not None and self.refusal is None and not self.errors


def prepare(
    text: str, sha256: str, schema: GraphQLSchema, settings: LimitSettings
) -> PreparedDocument:
    """Parse with a token cap, bound the document's shape, then validate it."""
    parsed = parse_document(text, settings.max_tokens)
    document, work = parsed.document, Work(parsed.tokens)
    if document is None:
        error = parsed.error
        assert error is not None
        if "tokens. Parsing aborted" in error.message:
            refusal = QueryTooComplex(
                f"The document has more than {settings.max_tokens} tokens",
                maxTokens=settings.max_tokens,
            )
            return PreparedDocument(text, sha256, refusal=refusal, work=work)
        return PreparedDocument(text, sha256, errors=(error,), work=work)
    # One measure of the whole document: validation visits every operation and fragment.
    shape = limits.measure(document, None, settings)
    try:
        limits.enforce(shape, settings)
    except QueryTooComplex as exc:
        return PreparedDocument(text, sha256, document, refusal=exc, work=work)
    work = Work(parsed.tokens, shape.total_fields, shape.overlap_checks)
    rules = limits.validation_rules(settings.introspection)
    errors = tuple(validate(schema, document, rules, max_errors=limits.MAX_VALIDATION_ERRORS))
    if errors:
        return PreparedDocument(text, sha256, document, errors=errors, work=work)
    bad_literal, variable_limits = input_bounds.scan_document(document)
    return PreparedDocument(
        text, sha256, document, bad_literal, variable_limits=variable_limits, work=work
    )


class DocumentCache:
    """Prepared documents by SHA-256 of their text, least recently used dropped first.

    Bounded by entries and by estimated bytes (`estimated_bytes`); a document larger than the
    whole bound is prepared but not kept.
    """

    def __init__(
        self, schema: GraphQLSchema, settings: LimitSettings, capacity: int, max_bytes: int
    ) -> None:
        self._schema = schema
        self._settings = settings
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[PreparedDocument, int]] = OrderedDict()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """Estimated bytes of the documents held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, sha256: str) -> PreparedDocument | None:
        """A document prepared earlier, marked as recently used."""
        entry = self._entries.get(sha256)
        if entry is None:
            return None
        self._entries.move_to_end(sha256)
        return entry[0]

    def prepare(self, text: str, sha256: str | None = None) -> tuple[PreparedDocument, int]:
        """The prepared document of `text`, from the cache or prepared now and kept, and the
        points its preparation is charged (0 when it came from the cache)."""
        digest = sha256 or sha256_hex(text)
        cached = self.get(digest)
        if cached is not None:
            return cached, 0
        prepared = prepare(text, digest, self._schema, self._settings)
        charged = prepared.work.points
        size = estimated_size(text, prepared.work.tokens if prepared.document else 0)
        if size > self._max_bytes:
            return prepared, charged
        self._entries[digest] = (prepared, size)
        self._bytes += size
        while len(self._entries) > self._capacity or self._bytes > self._max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
        return prepared, charged


class UsePreparedDocument(SchemaExtension):
    """Hands Strawberry the document the endpoint already parsed and validated.

    Without it Strawberry would parse and validate the text again on every request.
    """

    def on_parse(self) -> Iterator[None]:
        """Skip parsing: the context carries the prepared document."""
        document = getattr(self.execution_context.context, "document", None)
        if document is not None:
            self.execution_context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        """Skip validation of a prepared document (it passed before it was admitted)."""
        if getattr(self.execution_context.context, "document", None) is not None:
            self.execution_context.pre_execution_errors = []
        yield
