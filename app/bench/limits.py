"""`creatoraudit benchmark-limits`: the worst documents the limits admit (timed: limits_timing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLError

from app.graphql import limits as document_limits
from app.graphql.errors import QueryTooComplex
from app.graphql.lexer import fast_parse
from app.settings import LimitSettings

TARGET_MS = 50.0

# Every scalar of an Account and of a Creator, for trees as wide as the schema allows.
_ACCOUNT = (
    "id platform handle url platformUserId displayName biography avatarUrl website isVerified "
    "followers following postsCount views likes scrapeIntervalHours availability lastError "
    "lastErrorTime addedAt firstScrapeTime lastScrapeTime nextScrapeTime isConnected"
)
_CREATOR = "id name description addedAt updatedAt"
_METRICS = "metrics(window: {preset: D7}) { views likes comments shares saves }"
_ARGUMENTS = "first: 10, platform: TIKTOK, orderBy: {field: ADDED_AT, direction: ASC}"
_NODE = '"QWNjb3VudDox"'


def _repeat(count: int, text: str) -> str:
    return " ".join([text] * count)


def _query(selections: str) -> str:
    return "{ " + selections + " }"


def _fragments(count: int, body: Callable[[int], str]) -> str:
    return " ".join(f"fragment F{i} on Viewer {{ {body(i)} }}" for i in range(count))


def _spread_all(count: int) -> str:
    return "{ viewer { " + " ".join(f"...F{i}" for i in range(count)) + " } } "


def deep_tree(alias: int) -> str:
    """An aliased tree 12 levels deep, every scalar selected at each level (99 fields)."""
    account = f"accounts {{ totalCount nodes {{ {_ACCOUNT} creators {{ nodes {{ "
    creator = f"{_CREATOR} accounts {{ nodes {{ {_ACCOUNT} creators {{ nodes {{ "
    inner = f"{_CREATOR} accounts {{ nodes {{ {_ACCOUNT} {_METRICS} }} }}"
    return f"t{alias}: " + account + creator + inner + " } } } } } } } }"


def bomb(levels: int) -> str:
    """Each fragment spreads the one before it twice: 2**(levels - 1) copies of the first."""
    definitions = ["fragment F0 on Viewer { apiKey { id } }"]
    definitions += [
        f"fragment F{i} on Viewer {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)
    ]
    return f"{{ viewer {{ ...F{levels - 1} }} }} " + " ".join(definitions)


def _nested_same_names(n: int) -> str:
    return _query(_repeat(n, "viewer { " + _repeat(n - 1, "apiKey { id }") + " }"))


def _variables(n: int) -> str:
    declared = " ".join(f"$v{i}: ID!" for i in range(n))
    used = " ".join(f"$v{i}" for i in range(n))
    return f"query({declared}) {{ nodes(ids: [{used}]) {{ id }} }}"


def _operations(n: int) -> str:
    body = _repeat(10, "viewer { apiKey { id name } }")
    return " ".join(f"query Q{i} {{ {body} }}" for i in range(n))


def _unused_fragment(n: int) -> str:
    fragment = "fragment U on Viewer { " + _repeat(n, "apiKey { id name } ") + "}"
    return "{ viewer { apiKey { id } } } " + fragment


def _inline_fragments(n: int) -> str:
    types = "... on Account { id handle } ... on IndividualVideo { id url }"
    return _query(_repeat(n, f"node(id: {_NODE}) {{ {types} }}"))


def _conflicts(n: int) -> str:
    return "{ viewer { apiKey { " + _repeat(n, "id: name id") + " } } }"


def _repeated_field(n: int) -> str:
    return _query(_repeat(n, "viewer { apiKey { id name } }"))


def _same_leaf(n: int) -> str:
    return "{ viewer { apiKey { " + _repeat(n, "id") + " } } }"


def _shared_fragments(n: int) -> str:
    return _spread_all(n) + _fragments(n, lambda _: "apiKey { id name }")


def _disjoint_fragments(n: int) -> str:
    return _spread_all(n) + _fragments(n, lambda i: f"x{i}")


def _deep_trees(n: int) -> str:
    return _query(" ".join(deep_tree(i) for i in range(n)))


def _aliases(n: int) -> str:
    return _query(" ".join(f"a{i}: viewer {{ apiKey {{ id }} }}" for i in range(n)))


def _directives(n: int) -> str:
    return _query(_repeat(n, "viewer @include(if: true) @skip(if: false) { apiKey { id name } }"))


def _directives_on_one_field(n: int) -> str:
    return "{ viewer { apiKey { id " + _repeat(n, "@include(if: true)") + " } } }"


def _arguments(n: int) -> str:
    return _query(_repeat(n, f"accounts({_ARGUMENTS}) {{ totalCount }}"))


def _long_list(n: int) -> str:
    return "{ nodes(ids: [" + _repeat(n, _NODE) + "]) { id } }"


def _introspection(n: int) -> str:
    return _query(_repeat(n, "__schema { types { name } }"))


@dataclass(frozen=True, slots=True)
class Hostile:
    """A family of documents growing with n; the benchmark takes the largest one admitted."""

    name: str
    build: Callable[[int], str]
    # The operationName its requests send (a document of several operations needs one).
    operation: str | None = None


HOSTILE: tuple[Hostile, ...] = (
    Hostile("one field repeated (the 700× shape)", _repeated_field),
    Hostile("same leaf repeated in one set", _same_leaf),
    Hostile("n × a, each with n-1 × b", _nested_same_names),
    Hostile("fragments spread into one set", _shared_fragments),
    Hostile("fragments with nothing in common (invalid)", _disjoint_fragments),
    Hostile("fragment bomb (each spreads the last twice)", bomb),
    Hostile("deep and wide trees", _deep_trees),
    Hostile("aliases of one field", _aliases),
    Hostile("repeated field with directives", _directives),
    Hostile("directives repeated on one field (invalid)", _directives_on_one_field),
    Hostile("conflicting aliases (invalid)", _conflicts),
    Hostile("repeated field with arguments", _arguments),
    Hostile("one long list argument", _long_list),
    Hostile("variables in a list argument", _variables),
    Hostile("introspection repeated", _introspection),
    Hostile("many operations", _operations, operation="Q0"),
    Hostile("an unused fragment (invalid)", _unused_fragment),
    Hostile("inline fragments on node", _inline_fragments),
)

# Refused documents, timed until they are refused (behind a short unique comment only).
REFUSED: tuple[tuple[str, str], ...] = (
    ("700 × viewer { apiKey { id } } (17 KB)", _query(_repeat(700, "viewer { apiKey { id } }"))),
    ("fragment bomb, 12 levels", bomb(12)),
    ("45 × a, each with 44 × b", _nested_same_names(45)),
    ("over the token cap", _query(_repeat(800, "viewer { apiKey { name } }"))),
)


def padded(text: str, limits: LimitSettings | None) -> str:
    """`text` behind a unique comment, filling the body up to its limit when `limits` are given.

    Lexing the comment costs time, and so does every located error: graphql-core scans the
    text before it to find the line.
    """
    head = f"# {uuid.uuid4().hex} "
    room = 0
    if limits is not None:
        room = limits.max_body_bytes - len(text.encode()) - len(head) - 64  # JSON envelope
    return head + "x" * max(room, 0) + "\n" + text


def admitted(text: str, limits: LimitSettings) -> bool:
    """Whether the limits let `text`, padded, through to validation."""
    text = padded(text, limits)
    if len(text.encode()) > limits.max_body_bytes:
        return False
    try:
        document = fast_parse(text, max_tokens=limits.max_tokens)
        document_limits.enforce(document_limits.measure(document, None, limits), limits)
    except (GraphQLError, QueryTooComplex):
        return False
    return True


def largest_admitted(hostile: Hostile, limits: LimitSettings, ceiling: int = 1 << 16) -> int:
    """The largest n whose document the limits admit (0 if none), by doubling then bisecting."""
    low, high = 0, 1
    while high <= ceiling and admitted(hostile.build(high), limits):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if admitted(hostile.build(middle), limits) else (low, middle)
    return low
