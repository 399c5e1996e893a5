"""Documents parsed, measured and validated once per process, kept in a bounded cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension

from app.graphql import input_bounds, limits
from app.graphql.errors import ApiError, QueryTooComplex
from app.services.trusted_documents import sha256_hex
from app.settings import LimitSettings

# Bytes of document text the cache may hold, whatever the entry count (hostile documents are
# large and unique).
CACHE_TEXT_BYTES = 16 * 1024 * 1024


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

    @property
    def ok(self) -> bool:
        """Parsed, within the limits and valid."""
        return self.document is not None and self.refusal is None and not self.errors


def prepare(
    text: str, sha256: str, schema: GraphQLSchema, settings: LimitSettings
) -> PreparedDocument:
    """Parse with a token cap, bound the document's shape, then validate it."""
    try:
        document = parse(text, max_tokens=settings.max_tokens)
    except GraphQLSyntaxError as exc:
        if "tokens. Parsing aborted" in exc.message:
            refusal = QueryTooComplex(
                f"The document has more than {settings.max_tokens} tokens",
                maxTokens=settings.max_tokens,
            )
            return PreparedDocument(text, sha256, refusal=refusal)
        return PreparedDocument(text, sha256, errors=(exc,))
    try:
        # One measure of the whole document: validation visits every operation and fragment.
        limits.enforce(limits.measure(document, None, settings), settings)
    except QueryTooComplex as exc:
        return PreparedDocument(text, sha256, document, refusal=exc)
    rules = limits.validation_rules(settings.introspection)
    errors = tuple(validate(schema, document, rules, max_errors=limits.MAX_VALIDATION_ERRORS))
    if errors:
        return PreparedDocument(text, sha256, document, errors=errors)
    bad_literal, variable_limits = input_bounds.scan_document(document)
    return PreparedDocument(text, sha256, document, bad_literal, variable_limits=variable_limits)


class DocumentCache:
    """Prepared documents by SHA-256 of their text, least recently used dropped first."""

    def __init__(self, schema: GraphQLSchema, settings: LimitSettings, capacity: int) -> None:
        self._schema = schema
        self._settings = settings
        self._capacity = capacity
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._text_bytes = 0

    def get(self, sha256: str) -> PreparedDocument | None:
        """A document prepared earlier, marked as recently used."""
        prepared = self._entries.get(sha256)
        if prepared is not None:
            self._entries.move_to_end(sha256)
        return prepared

    def prepare(self, text: str, sha256: str | None = None) -> PreparedDocument:
        """The prepared document of `text`, from the cache or prepared now and kept."""
        digest = sha256 or sha256_hex(text)
        cached = self.get(digest)
        if cached is not None:
            return cached
        prepared = prepare(text, digest, self._schema, self._settings)
        self._entries[digest] = prepared
        self._text_bytes += len(text)
        while len(self._entries) > self._capacity or self._text_bytes > CACHE_TEXT_BYTES:
            _, dropped = self._entries.popitem(last=False)
            self._text_bytes -= len(dropped.text)
        return prepared


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
