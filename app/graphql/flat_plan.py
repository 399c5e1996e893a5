"""Whole-object plans for the metric types the engine builds itself (no walk per field).

A type marked `@trusted_values` holds only values the metrics engine computed: ints, finite
floats, dates, booleans and lists of them, each already what its scalar would serialise to. A
selection on such a type made only of plain attributes (and `__typename`, and nested trusted
objects) is completed by one compiled function that reads the attributes and builds the dict,
instead of a getter, a serialiser and several checks per field. A null where the schema allows
none makes the plan give up, and the executor's ordinary path reports it as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Undefined

_TRUSTED = "_creatoraudit_trusted_values"
# Scalars whose engine-built values orjson writes exactly as the scalar would serialise them
# (no enums: orjson writes their values, GraphQL their names).
_SELF_SERIALISING = frozenset({"Int", "Float", "BigInt", "Date", "Boolean", "String", "ID"})
C = TypeVar("C", bound=type)


def trusted_values(cls: C) -> C:
    """Mark a Strawberry type whose leaf fields hold engine-built, ready-to-serialise values."""
    setattr(cls, _TRUSTED, True)
    return cls


def is_trusted(object_type: GraphQLObjectType) -> bool:
    """True for a type marked with `trusted_values`."""
    definition = (object_type.extensions or {}).get("strawberry-definition")
    return definition is not None and getattr(definition.origin, _TRUSTED, False)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One response key of a plan: an attribute, a nested trusted object, or `__typename`."""

    response_name: str
    attribute: str | None = None  # None: the constant `typename`
    non_null: bool = False
    nested: FlatPlan | None = None
    typename: str | None = None


class FlatPlan:
    """How to complete one selection set on one trusted type in a single step.

    The plan is compiled into one small function (reads, null checks and a dict literal in
    the response's key order): it runs for every metric object of every node of a page, where
    a generic loop over the selection costs several times as much.
    """

    __slots__ = ("complete", "entries")

    def __init__(self, entries: tuple[_Entry, ...]) -> None:
        self.entries = entries
        self.complete: Callable[[Any], Any] = _compile(entries)
        """The completed result of a source object, or Undefined when the ordinary path must
        run (a null where the schema allows none, here or in a nested object)."""

    # Plans are equal when their entries are: the compiled functions are shared by every
    # request that makes the same selection.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlatPlan) and other.entries == self.entries

    def __hash__(self) -> int:
        return hash(self.entries)


@lru_cache(maxsize=1024)
def _compile(entries: tuple[_Entry, ...]) -> Callable[[Any], Any]:
    # Only identifiers reach the source: attributes are Python names of Strawberry fields and
    # response names and type names are GraphQL names; both are written with repr().
    names: dict[str, Any] = {"Undefined": Undefined}
    lines = ["def complete(source):"]
    items = []
    for index, entry in enumerate(entries):
        if entry.attribute is None:
            items.append(f"{entry.response_name!r}: {entry.typename!r}")
            continue
        value = f"v{index}"
        lines.append(f"    {value} = source.{entry.attribute}")
        if entry.non_null:
            lines.append(f"    if {value} is None: return Undefined")
        if entry.nested is not None:
            names[f"plan{index}"] = entry.nested.complete
            lines.append(f"    if {value} is not None:")
            lines.append(f"        {value} = plan{index}({value})")
            lines.append(f"        if {value} is Undefined: return Undefined")
        items.append(f"{entry.response_name!r}: {value}")
    lines.append("    return {" + ", ".join(items) + "}")
    exec("\n".join(lines), names)
    complete: Callable[[Any], Any] = names["complete"]
    return complete


def _python_name(field: Any) -> str | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or definition.base_resolver is not None or field.args:
        return None
    if not getattr(field.resolve, "_is_default", False) or definition.permission_classes:
        return None
    return str(definition.python_name)


def _is_self_serialising(field_type: Any) -> bool:
    return isinstance(field_type, GraphQLScalarType) and field_type.name in _SELF_SERIALISING


def compile_flat(
    parent_type: GraphQLObjectType,
    fields: GroupedFieldSet,
    subfields: Callable[[GraphQLObjectType, Any], GroupedFieldSet | None],
) -> FlatPlan | None:
    """A flat plan for `fields` on `parent_type`, or None when some field needs the executor.

    `subfields(type, details)` gives a nested object's grouped fields (None when deferred).
    """
    if not is_trusted(parent_type):
        return None
    entries: list[_Entry] = []
    for response_name, details in fields.items():
        node = details[0].node
        if node.directives:
            return None
        if node.name.value == "__typename":
            entries.append(_Entry(response_name, typename=parent_type.name))
            continue
        entry = _field_entry(parent_type, response_name, details, subfields)
        if entry is None:
            return None
        entries.append(entry)
    if all(entry.attribute is None for entry in entries):
        return None
    return FlatPlan(tuple(entries))


def _field_entry(
    parent_type: GraphQLObjectType,
    response_name: str,
    details: Any,
    subfields: Callable[[GraphQLObjectType, Any], GroupedFieldSet | None],
) -> _Entry | None:
    """The entry of one plain field, or None when it needs the executor."""
    field = parent_type.fields.get(details[0].node.name.value)
    python_name = _python_name(field) if field is not None else None
    if field is None or python_name is None or not python_name.isidentifier():
        return None
    field_type = field.type
    non_null = isinstance(field_type, GraphQLNonNull)
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    if isinstance(field_type, GraphQLObjectType):
        grouped = subfields(field_type, details)
        plan = compile_flat(field_type, grouped, subfields) if grouped is not None else None
        if plan is None:
            return None
        return _Entry(response_name, python_name, non_null, nested=plan)
    if isinstance(field_type, GraphQLList):
        item = field_type.of_type
        item = item.of_type if isinstance(item, GraphQLNonNull) else item
        if not _is_self_serialising(item):
            return None
    elif not _is_self_serialising(field_type):
        return None
    return _Entry(response_name, python_name, non_null)
