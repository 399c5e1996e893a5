"""The prepared-document cache and the local APQ registry are bounded in bytes, honestly."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from app.graphql.prepared import DocumentCache, estimated_bytes, estimated_size, prepare
from app.graphql.schema import schema
from app.services.query_registry import LocalQueryRegistry
from app.services.trusted_documents import sha256_hex
from app.settings import LimitSettings

LIMITS = LimitSettings()
SHARED = (type(sys), type, type(None))


def deep_size(root: Any) -> int:
    """Bytes of every object reachable from `root`, except the schema, classes and modules."""
    seen: set[int] = set()
    total = 0
    pending = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, SHARED) or item is schema._schema:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set | frozenset):
            pending += list(item)
        elif not isinstance(item, str | bytes | int | float):
            if hasattr(item, "__dict__"):
                pending.append(item.__dict__)
            for cls in type(item).__mro__:
                slots = getattr(cls, "__slots__", ())
                for slot in (slots,) if isinstance(slots, str) else slots:
                    value = getattr(item, slot, None)
                    if not callable(value):
                        pending.append(value)
    return total


def unique(text: str, n: int) -> str:
    return f"# document {n}\n{text}"


HOSTILE = {
    "small": "{ viewer { apiKey { name } } }",
    "aliases": "{" + " ".join(f"a{i}: viewer {{ apiKey {{ name id }} }}" for i in range(25)) + "}",
    "long string": '{ search(query: "' + "x" * 90_000 + '") { creators { name } } }',
    "long comment": "#" + "c" * 90_000 + "\n{ viewer { apiKey { name } } }",
    "long names": "{ " + " ".join("f" * 9_000 + str(i) for i in range(10)) + " }",
    "many strings": "{ "
    + " ".join(f'a{i}: search(query: "{"y" * 150}") {{ creators {{ name }} }}' for i in range(25))
    + " }",
    "invalid fields": "{ " + " ".join(f"nope{i}" for i in range(60)) + " }",
    "syntax error": "{ viewer { " * 100,
    "too many tokens": "{" + " viewer { apiKey { name } }" * 400 + "}",
    "fragments": "query { ...F } fragment F on Query { viewer { apiKey { name } } }",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_estimate_covers_what_a_prepared_document_really_holds(text: str) -> None:
    prepared = prepare(text, sha256_hex(text), schema._schema, LIMITS)
    assert estimated_bytes(text, prepared.document) >= deep_size(prepared)
    if prepared.document is not None:  # the lexer counted every token the document keeps
        assert estimated_size(text, prepared.work.tokens) == estimated_bytes(
            text, prepared.document
        )


def test_many_large_distinct_documents_stay_within_the_byte_bound() -> None:
    bound = 2 * 1024 * 1024
    cache = DocumentCache(schema._schema, LIMITS, capacity=10_000, max_bytes=bound)
    largest = 0
    for n in range(60):
        for text in (HOSTILE["long string"], HOSTILE["long names"], HOSTILE["aliases"]):
            cache.prepare(unique(text, n))
            largest = max(largest, cache.size_bytes)
            assert cache.size_bytes <= bound
    held = [cache.get(digest) for digest in list(cache._entries)]
    assert deep_size(held) <= cache.size_bytes <= bound
    assert largest > bound // 2  # the bound, not the entry count, did the evicting
    assert len(cache) < 180


def test_a_document_larger_than_the_whole_cache_is_not_kept() -> None:
    cache = DocumentCache(schema._schema, LIMITS, capacity=100, max_bytes=100_000)
    small, _ = cache.prepare("{ viewer { apiKey { name } } }")
    huge, _ = cache.prepare(HOSTILE["long string"])
    assert huge.refusal is not None  # still answered: the query is too long
    assert cache.get(huge.sha256) is None
    assert cache.get(small.sha256) is small


async def test_the_local_apq_registry_is_bounded_in_bytes() -> None:
    bound = 1024 * 1024
    registry = LocalQueryRegistry(capacity=10_000, max_bytes=bound)
    for n in range(100):
        text = unique(HOSTILE["long string"], n)
        await registry.put(sha256_hex(text), text)
        assert registry.size_bytes <= bound
    last = unique(HOSTILE["long string"], 99)
    assert await registry.get(sha256_hex(last)) == last
    first = unique(HOSTILE["long string"], 0)
    assert await registry.get(sha256_hex(first)) is None
