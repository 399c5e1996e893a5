"""Answers of queries kept per process, valid while their organization's data version holds.

A query asked again before anything it could read changed is answered from memory: the
endpoint still authenticates, checks, costs and rate-limits the request (README: Result
cache); only execution is skipped. An answer is keyed on everything it can depend on:

- the organization, and its **data version** (`app.metrics.versions`), loaded with the API key
  at no extra statement: every write to the organization moves it, so an answer is never
  served after a write committed;
- the API key: `viewer.apiKey` (and whatever a future field reads from the key) differs
  between keys of one organization, so keys never share answers;
- today's UTC date: presets (D7, D30, D90) and "the last N days" move at midnight;
- the document (its SHA-256), the operation name and the variables (canonical JSON).

Never cached: mutations, answers with errors, and operations selecting a root field whose
value changes with every request (`rateLimit`, `VOLATILE_ROOT_FIELDS`). Memory is bounded by
the size of the stored JSON (plus a fixed part per entry), least recently used first out; an
organization's entries of older versions are dropped as soon as a newer version is seen.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from app import models
from app.graphql.http_request import GraphQLRequest
from app.graphql.prepared import PreparedDocument
from app.metrics.windows import today_utc
from app.observability import metrics

__all__ = ["VOLATILE_ROOT_FIELDS", "CachedAnswer", "Key", "ResultCache", "cacheable"]

# Root fields answering something else on every request: an operation selecting one is never
# cached. RateLimit is reachable only from Query.rateLimit.
VOLATILE_ROOT_FIELDS = frozenset({"rateLimit"})
# Counted per entry besides its JSON: the key, the entry object, the LRU and index links.
ENTRY_OVERHEAD_BYTES = 512
# No single answer may take more than this share of the budget (it would empty the cache).
MAX_ENTRY_SHARE = 4

# (organization id, data version, API key id, UTC day ordinal, document SHA-256,
#  operation name, variables as canonical JSON)
Key = tuple[int, int, int, int, str, str | None, bytes]


class CachedAnswer:
    """A stored answer: `{"data": …}` as sent, and the cost its data was counted at."""

    __slots__ = ("_etag", "actual_cost", "core", "size")

    def __init__(self, core: bytes, actual_cost: int, size: int) -> None:
        self.core = core
        self.actual_cost = actual_cost
        self.size = size
        self._etag: str | None = None

    def etag(self, compute: Callable[[bytes], str]) -> str:
        """The answer's ETag, computed once."""
        if self._etag is None:
            self._etag = compute(self.core)
        return self._etag


def cacheable(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    """Whether the operation's answer may be cached: a query selecting no volatile root field."""
    if operation.operation is not OperationType.QUERY:
        return False
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return not _selects_volatile(operation.selection_set, fragments, set())


def _selects_volatile(
    selections: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> bool:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in VOLATILE_ROOT_FIELDS:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects_volatile(selection.selection_set, fragments, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects_volatile(fragment.selection_set, fragments, seen):
                return True
    return False


class ResultCache:
    """A byte-bounded LRU of answers, indexed by organization to drop old versions at once."""

    def __init__(self, max_bytes: int, today: Callable[[], date] = today_utc) -> None:
        self.max_bytes = max_bytes
        self._today = today
        self._entries: OrderedDict[Key, CachedAnswer] = OrderedDict()
        # Per organization: the newest data version seen and the keys stored under it.
        self._organizations: dict[int, tuple[int, set[Key]]] = {}
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def key(
        self,
        api_key: models.ApiKey,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        params: GraphQLRequest,
    ) -> Key | None:
        """The key of this request's answer; None when it must not be cached."""
        if prepared.document is None or not cacheable(prepared.document, operation):
            return None
        try:
            canonical = orjson.dumps(params.variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # e.g. an integer beyond 64 bits: execute, do not cache
            return None
        organization = api_key.organization
        return (
            organization.id,
            organization.data_version,
            api_key.id,
            self._today().toordinal(),
            prepared.sha256,
            params.operation_name,
            canonical,
        )

    def get(self, key: Key) -> CachedAnswer | None:
        """The stored answer, or None (counted as a hit or a miss)."""
        self._see(key[0], key[1])
        answer = self._entries.get(key)
        if answer is None:
            metrics.GRAPHQL_RESULT_CACHE.labels("miss").inc()
            return None
        self._entries.move_to_end(key)
        metrics.GRAPHQL_RESULT_CACHE.labels("hit").inc()
        return answer

    def put(self, key: Key, core: bytes, actual_cost: int) -> None:
        """Store an answer, unless its version is already old or it is too large."""
        organization, version = key[0], key[1]
        size = len(core) + len(key[6]) + len(key[4]) + ENTRY_OVERHEAD_BYTES
        if size * MAX_ENTRY_SHARE > self.max_bytes or not self._see(organization, version):
            return
        self._remove(key)
        self._entries[key] = CachedAnswer(core, actual_cost, size)
        self.bytes += size
        self._organizations.setdefault(organization, (version, set()))[1].add(key)
        while self.bytes > self.max_bytes:
            self._remove(next(iter(self._entries)))

    def _see(self, organization: int, version: int) -> bool:
        """Note a version of the organization; False when a newer one is already known."""
        known = self._organizations.get(organization)
        if known is None:
            return True
        if version < known[0]:
            return False
        if version > known[0]:
            for key in list(known[1]):
                self._remove(key)
            self._organizations[organization] = (version, set())
        return True

    def _remove(self, key: Key) -> None:
        answer = self._entries.pop(key, None)
        if answer is None:
            return
        self.bytes -= answer.size
        known = self._organizations.get(key[0])
        if known is not None:
            known[1].discard(key)
            if not known[1]:
                del self._organizations[key[0]]
