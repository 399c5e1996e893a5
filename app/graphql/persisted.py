"""Which document a request runs: its text, an APQ hash, or a trusted document id (SPEC §9).

Rules, in order:
- `documentId` / `doc_id` names a trusted document (`sha256:<hex>` ids also match by hash);
  unknown ids are PERSISTED_QUERY_NOT_FOUND (HTTP 404: there is nothing to resend).
- `extensions.persistedQuery {version: 1, sha256Hash}` with the text registers it (after the
  hash is verified) and runs it; without the text, a trusted document with that hash, or else
  the APQ registry, supplies it; unknown hashes are PersistedQueryNotFound (HTTP 200, as Apollo
  Server answers, so Apollo Client resends with the text).
- Persisted-only (deployment, organization or key): only trusted documents run, whichever
  way they are named — by id, by hash, or by their exact text; anything else is
  PERSISTED_QUERY_REQUIRED before it is parsed, and nothing is registered.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from app.graphql.errors import (
    BadUserInput,
    PersistedQueryNotFound,
    PersistedQueryRequired,
)
from app.graphql.prepared import DocumentCache, PreparedDocument
from app.services import trusted_documents
from app.services.query_registry import QueryRegistry
from app.services.trusted_documents import sha256_hex

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Unknown ids are remembered this long at most, so a newly loaded manifest is seen quickly.
_MISS_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """What a request says about its document."""

    query: str | None
    document_id: str | None
    extensions: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ResolvedDocument:
    """The prepared document to run and how it was named."""

    prepared: PreparedDocument
    # Named by id or hash instead of text (GET answers of these carry an ETag).
    by_reference: bool
    # Text sent with its APQ hash: register it once it proved valid.
    register: bool = False
    # Points charged for preparing the document in this request (0: it was prepared before;
    # trusted documents are the operator's and never charged).
    charge: int = 0


class TrustedDocuments:
    """Trusted documents by id and by hash, prepared once per process.

    Hits are kept `ttl` seconds (a removed document stops working within that time) and
    misses a few seconds, so every lookup but the first reads no database.
    """

    def __init__(self, cache: DocumentCache, ttl: float) -> None:
        self._cache = cache
        self._ttl = ttl
        self._by_id: dict[str, tuple[float, PreparedDocument | None]] = {}
        self._by_sha: dict[str, tuple[float, PreparedDocument | None]] = {}

    async def by_id(self, document_id: str) -> PreparedDocument | None:
        """The trusted document with this id (or `sha256:<hex>` hash)."""
        found = await self._lookup(self._by_id, document_id, trusted_documents.find_by_id)
        if found is None and document_id.startswith("sha256:"):
            found = await self.by_sha256(document_id.removeprefix("sha256:"))
        return found

    async def by_sha256(self, sha256: str) -> PreparedDocument | None:
        """The trusted document whose text has this hash."""
        return await self._lookup(self._by_sha, sha256, trusted_documents.find_by_sha256)

    async def _lookup(
        self,
        memo: dict[str, tuple[float, PreparedDocument | None]],
        key: str,
        find: Any,
    ) -> PreparedDocument | None:
        now = time.monotonic()
        hit = memo.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await find(key)
        prepared = self._cache.prepare(row.body, row.sha256)[0] if row is not None else None
        if len(memo) > 10_000:
            memo.clear()  # a flood of random ids must not grow memory
        memo[key] = (now + (self._ttl if prepared else min(self._ttl, _MISS_SECONDS)), prepared)
        return prepared


class DocumentResolver:
    """Turns a request's text, hash or id into a prepared document, enforcing persisted-only."""

    def __init__(
        self, cache: DocumentCache, trusted: TrustedDocuments, registry: QueryRegistry
    ) -> None:
        self._cache = cache
        self._trusted = trusted
        self._registry = registry

    async def resolve(self, request: DocumentRequest, persisted_only: bool) -> ResolvedDocument:
        """The document to run; raises the coded error that refuses the request."""
        if request.document_id is not None:
            if request.query is not None:
                raise BadUserInput("Send either a document id or a query, not both")
            return await self._by_document_id(request.document_id)
        persisted = (request.extensions or {}).get("persistedQuery")
        if persisted is not None:
            return await self._by_hash(_apq_hash(persisted), request.query, persisted_only)
        if not request.query:
            raise BadUserInput("No GraphQL query found in the request")
        if persisted_only:
            trusted = await self._trusted.by_sha256(sha256_hex(request.query))
            if trusted is None or trusted.text != request.query:
                raise PersistedQueryRequired()
            return ResolvedDocument(trusted, by_reference=False)
        prepared, charge = self._cache.prepare(request.query)
        return ResolvedDocument(prepared, by_reference=False, charge=charge)

    async def _by_document_id(self, document_id: str) -> ResolvedDocument:
        prepared = await self._trusted.by_id(document_id)
        if prepared is None:
            raise PersistedQueryNotFound(f"No trusted document with id {document_id!r}", status=404)
        return ResolvedDocument(prepared, by_reference=True)

    async def _by_hash(
        self, sha256: str, query: str | None, persisted_only: bool
    ) -> ResolvedDocument:
        if query is not None and sha256_hex(query) != sha256:
            raise BadUserInput("provided sha does not match query", field="sha256Hash")
        trusted = await self._trusted.by_sha256(sha256)
        if trusted is not None:
            return ResolvedDocument(trusted, by_reference=query is None)
        if persisted_only:
            if query is None:
                raise PersistedQueryNotFound()
            raise PersistedQueryRequired()
        if query is not None:
            prepared, charge = self._cache.prepare(query, sha256)
            return ResolvedDocument(prepared, False, register=True, charge=charge)
        cached = self._cache.get(sha256)
        if cached is not None:
            return ResolvedDocument(cached, by_reference=True)
        text = await self._registry.get(sha256)
        if text is None:
            raise PersistedQueryNotFound()
        prepared, charge = self._cache.prepare(text, sha256)
        return ResolvedDocument(prepared, by_reference=True, charge=charge)

    async def register(self, resolved: ResolvedDocument) -> None:
        """Keep a valid APQ registration for every API process."""
        if resolved.register and resolved.prepared.ok:
            await self._registry.put(resolved.prepared.sha256, resolved.prepared.text)


def _apq_hash(persisted: Any) -> str:
    if not isinstance(persisted, dict):
        raise BadUserInput("`extensions.persistedQuery` must be an object")
    if persisted.get("version") != 1:
        raise BadUserInput("Unsupported persisted query version; use 1", field="version")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.match(sha256.lower()):
        raise BadUserInput("`sha256Hash` must be 64 hexadecimal digits", field="sha256Hash")
    return sha256.lower()
