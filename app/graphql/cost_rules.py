"""The cost model's weights and per-field rules, read from field arguments (see app.graphql.cost).

Every rule bound here is the API's own: the constants come from the resolvers that enforce them,
so the model never counts fewer items than a resolver may return.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_interface_type,
    is_leaf_type,
    is_object_type,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLOutputType

from app.graphql.batch import MAX_IDS, MAX_LOOKBACKS
from app.graphql.discovery import MAX_LEADERBOARD, MAX_SEARCH_LIMIT
from app.graphql.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.graphql.queries import MAX_NODES
from app.metrics.windows import MAX_WINDOW_DAYS, Preset

OBJECT = 1
TOTAL_COUNT = 1
METRICS = 2
COMPARISON = 3
VIEWS_DELTA = 1
LEADERBOARD = 50
MUTATION = 10
INTROSPECTION = 10
SERIES_DAYS_PER_POINT = 15
DEFAULT_SEARCH_LIMIT = 10
DEFAULT_LEADERBOARD = 10

# Flat weights by return type: the resolver reads precomputed daily rows, whatever is selected.
FLAT_WEIGHTS = {
    "EngagementMetrics": METRICS,
    "VideoMetrics": METRICS,
    "EngagementComparison": COMPARISON,
    "VideoComparison": COMPARISON,
}
SERIES_TYPES = frozenset({"EngagementSeries", "VideoSeries"})

# Fields whose result holds lists sized by their own arguments (connections are found by name).
SIZED_FIELDS = frozenset(
    {"Query.accountMetrics", "Query.videoMetrics", "Query.videoDeltas", "Query.search"}
)

# Lists of objects named one by one; connection edges/nodes and batch items are found by name.
LIST_KINDS = {
    "Query.nodes": "ids",
    "Query.topCreators": "leaderboard",
    "SearchResults.accounts": "page",
    "SearchResults.creators": "page",
    "SearchResults.videos": "page",
    "VideoDeltasItem.deltas": "deltas",
}


@dataclass(frozen=True, slots=True)
class Sizes:
    """Item counts a field sets for the lists right below it: a page and look-back lengths."""

    page: int
    days: int


# Lists whose parent set no size get the largest any resolver returns.
UNKNOWN = Sizes(MAX_PAGE_SIZE, MAX_LOOKBACKS)


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What one field costs: `extra + count × (own + selection below)`; no walk: no selection."""

    extra: int = 0
    own: int = OBJECT
    count: int = 1
    walk: bool = True
    sizes: Sizes = UNKNOWN


FREE = FieldRule(own=0, walk=False)


def argument(node: FieldNode, field: GraphQLField, name: str, variables: dict[str, Any]) -> Any:
    """An argument's raw value: the literal or variable given, else the argument's default."""
    for arg in node.arguments or ():
        if arg.name.value == name:
            value = value_from_ast_untyped(arg.value, variables)
            if value is not Undefined:
                return value
            break  # an unset variable leaves the argument unset: its default applies
    definition = field.args.get(name)
    return Undefined if definition is None else definition.default_value


def bounded_int(value: Any, default: int, maximum: int) -> int:
    """A size argument as the resolver sees it; anything it would refuse counts as `maximum`."""
    if value is None or value is Undefined:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum:
        return value
    return maximum


def bounded_len(value: Any, maximum: int) -> int:
    """Items of a list argument; a single value is coerced to a list of one by GraphQL."""
    if isinstance(value, list):
        return len(value) if 1 <= len(value) <= maximum else maximum
    if value is None or value is Undefined:
        return maximum
    return 1


def window_days(value: Any) -> int:
    """Days of a WindowInput value: a preset or a valid range, else the longest window."""
    if not isinstance(value, Mapping):
        return MAX_WINDOW_DAYS
    preset = value.get("preset")
    if isinstance(preset, str) and preset in Preset.__members__:
        return Preset[preset].value
    span = value.get("range")
    if isinstance(span, Mapping):
        try:
            days = (date.fromisoformat(span["end"]) - date.fromisoformat(span["start"])).days + 1
        except (KeyError, TypeError, ValueError):
            return MAX_WINDOW_DAYS
        if 1 <= days <= MAX_WINDOW_DAYS:
            return days
    return MAX_WINDOW_DAYS


def series_weight(days: int) -> int:
    """A series returns one row per day: 1 + ⌈days / 15⌉ (D7 2, D30 3, D90 7, 366 days 26)."""
    return 1 + math.ceil(days / SERIES_DAYS_PER_POINT)


def is_list(type_: GraphQLOutputType) -> bool:
    """Whether a field returns a list (nullable or not)."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


def list_depth(type_: GraphQLOutputType) -> int:
    """How many list wrappers a type has: [[X]] is 2."""
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        depth += isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return depth


def list_kind(parent: str, name: str) -> str | None:
    """How a list of objects is counted; None: no rule (the guard test forbids it)."""
    if parent.endswith("Connection") and name in ("edges", "nodes"):
        return name
    if parent.endswith("Batch") and name == "items":
        return "items"
    if name == "userErrors":
        return "free"
    return LIST_KINDS.get(f"{parent}.{name}")


@dataclass(frozen=True, slots=True)
class Site:
    """One field as selected: where, with which arguments and variables, under which sizes."""

    parent: GraphQLObjectType
    node: FieldNode
    field: GraphQLField
    variables: dict[str, Any]
    sizes: Sizes

    def arg(self, name: str) -> Any:
        """The argument's raw value (see `argument`)."""
        return argument(self.node, self.field, name, self.variables)


def field_rule(site: Site, mutation_root: bool) -> FieldRule:
    """The rule of one selected field (introspection fields are handled by the caller)."""
    if mutation_root:
        return FieldRule(extra=MUTATION, own=0)
    named = get_named_type(site.field.type)
    if is_leaf_type(named):
        total = site.parent.name.endswith("Connection") and site.node.name.value == "totalCount"
        return FieldRule(own=TOTAL_COUNT, walk=False) if total else FREE
    if is_list(site.field.type):
        return _list_rule(site)
    if named.name in FLAT_WEIGHTS:
        return FieldRule(own=FLAT_WEIGHTS[named.name], walk=False)
    if named.name in SERIES_TYPES:
        return FieldRule(own=series_weight(window_days(site.arg("window"))), walk=False)
    return FieldRule(sizes=_sizes_below(site, named.name))


def _list_rule(site: Site) -> FieldRule:
    kind = list_kind(site.parent.name, site.node.name.value)
    if kind == "edges":  # the edge is a wrapper: its node is the object counted
        return FieldRule(own=0, count=site.sizes.page)
    if kind == "items":  # batch items wrap the account/video counted below; `deltas` needs sizes
        return FieldRule(own=0, count=site.sizes.page, sizes=site.sizes)
    if kind in ("nodes", "page"):
        return FieldRule(count=site.sizes.page)
    if kind == "deltas":
        return FieldRule(own=VIEWS_DELTA, count=site.sizes.days, walk=False)
    if kind == "free":  # built in memory from the input, no reads
        return FieldRule(own=0)
    if kind == "ids":
        return FieldRule(count=bounded_len(site.arg("ids"), MAX_NODES))
    if kind == "leaderboard":
        limit = bounded_int(site.arg("limit"), DEFAULT_LEADERBOARD, MAX_LEADERBOARD)
        return FieldRule(extra=LEADERBOARD, count=limit)
    return FieldRule(count=MAX_PAGE_SIZE)  # unreachable while the guard test passes


def _sizes_below(site: Site, returned: str) -> Sizes:
    if returned.endswith("Connection"):
        return Sizes(
            bounded_int(site.arg("first"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), MAX_LOOKBACKS
        )
    coordinate = f"{site.parent.name}.{site.node.name.value}"
    if coordinate not in SIZED_FIELDS:
        return UNKNOWN
    if coordinate == "Query.search":
        limit = bounded_int(site.arg("limit"), DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)
        return Sizes(limit, MAX_LOOKBACKS)
    days = bounded_len(site.arg("days"), MAX_LOOKBACKS) if site.field.args.get("days") else 1
    return Sizes(bounded_len(site.arg("ids"), MAX_IDS), days)


def unruled_fields(schema: GraphQLSchema) -> list[str]:
    """Fields the model would have to guess for: lists of objects without a rule, sized results
    without a sizing rule, connections without `first`. Empty while the model covers the schema."""
    problems: list[str] = []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not (is_object_type(type_) or is_interface_type(type_)):
            continue
        for name, field in type_.fields.items():
            problem = _field_problem(type_.name, name, field)
            if problem is not None:
                problems.append(f"{type_.name}.{name}: {problem}")
    return sorted(problems)


def _field_problem(parent: str, name: str, field: GraphQLField) -> str | None:
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return None
    if list_depth(field.type) > 1:
        return "a list of lists"
    if is_list(field.type) and list_kind(parent, name) is None:
        return "a list of objects without a cost rule"
    if named.name.endswith("Connection") and "first" not in field.args:
        return "a connection without `first`"
    sized = named.name.endswith("Batch") or named.name == "SearchResults"
    if sized and f"{parent}.{name}" not in SIZED_FIELDS:
        return "a batch or search result without a sizing rule"
    return None
