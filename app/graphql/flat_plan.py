"""Whole-object plans for the metric types the engine builds itself (no walk per field).

A type marked `@trusted_values` holds only values the metrics engine computed: ints, finite
floats, dates, booleans and lists of them, each already what its scalar would serialise to. A
selection on such a type made only of plain attributes (and `__typename`, and nested trusted
objects) is completed by one multi-attribute read and a `dict(zip(...))`, instead of a getter,
a serialiser and several checks per field. A null where the schema allows none makes the plan
give up, and the executor's ordinary path reports it as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
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
class FlatPlan:
    """How to complete one selection set on one trusted type in a single step."""

    names: tuple[str, ...]
    read: Callable[[Any], tuple[Any, ...]]
    non_null: tuple[int, ...]  # positions that must not be None
    constants: tuple[tuple[str, str], ...]  # (response name, value): `__typename`
    nested: tuple[tuple[int, str, FlatPlan], ...]  # (position, response name, plan)
    order: tuple[str, ...] | None  # every response name in order, when constants interleave

    def complete(self, source: Any) -> Any:
        """The completed result of `source`, or Undefined when the ordinary path must run."""
        values = self.read(source)
        for index in self.non_null:
            if values[index] is None:
                return Undefined
        result = dict(zip(self.names, values))  # noqa: B905 (the read returns one per name)
        if self.constants:
            result.update(self.constants)
        for index, name, plan in self.nested:
            child = values[index]
            if child is not None:
                completed = plan.complete(child)
                if completed is Undefined:
                    return Undefined
                result[name] = completed
        if self.order is not None:
            return {name: result[name] for name in self.order}
        return result


def _python_name(field: Any) -> str | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or definition.base_resolver is not None or field.args:
        return None
    if not getattr(field.resolve, "_is_default", False) or definition.permission_classes:
        return None
    return str(definition.python_name)


def _one(values: Any) -> tuple[Any, ...]:
    return (values,)


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
    names: list[str] = []
    attributes: list[str] = []
    non_null: list[int] = []
    constants: list[tuple[str, str]] = []
    nested: list[tuple[int, str, FlatPlan]] = []
    for response_name, details in fields.items():
        node = details[0].node
        if node.directives:
            return None
        if node.name.value == "__typename":
            constants.append((response_name, parent_type.name))
            continue
        field = parent_type.fields.get(node.name.value)
        python_name = _python_name(field) if field is not None else None
        if field is None or python_name is None:
            return None
        field_type = field.type
        if isinstance(field_type, GraphQLNonNull):
            non_null.append(len(names))
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLObjectType):
            grouped = subfields(field_type, details)
            plan = compile_flat(field_type, grouped, subfields) if grouped is not None else None
            if plan is None:
                return None
            nested.append((len(names), response_name, plan))
        elif isinstance(field_type, GraphQLList):
            item = field_type.of_type
            item = item.of_type if isinstance(item, GraphQLNonNull) else item
            if not _is_self_serialising(item):
                return None
        elif not _is_self_serialising(field_type):
            return None
        names.append(response_name)
        attributes.append(python_name)
    if not attributes:
        return None
    read = attrgetter(*attributes)
    last_is_constant = constants and list(fields)[-len(constants) :] == [n for n, _ in constants]
    return FlatPlan(
        tuple(names),
        read if len(attributes) > 1 else lambda source: _one(read(source)),
        tuple(non_null),
        tuple(constants),
        tuple(nested),
        None if not constants or last_is_constant else tuple(fields),
    )
