"""A faster graphql-core execution context for wide responses (SPEC performance targets).

Most of a dashboard response is plain attributes of already computed objects: numbers, dates
and lists of them. The stock executor builds a resolve-info object, a path and several calls for
every one of those values. This context keeps a plan per selection set and reads such fields
directly — plain attribute fields (Strawberry's default resolver) returning a leaf, a list of
leaves or an object without `is_type_of` — and falls back to the stock path for everything else
and for anything unusual (arguments, directives, nulls in non-null positions, serialisation
errors), so results and errors are the same. It depends on graphql-core internals: the version
is pinned and a test compares it with the stock executor.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_STOCK, _LEAF, _LEAF_LIST, _OBJECT = range(4)


@dataclass(frozen=True, slots=True)
class _Step:
    response_name: str
    details: FieldDetailsList
    mode: int
    attribute: str = ""
    non_null: bool = False
    item_non_null: bool = False
    serialize: Any = None
    object_type: GraphQLObjectType | None = None


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _plan_field(parent_type: GraphQLObjectType, name: str, details: FieldDetailsList) -> _Step:
    node = details[0].node
    field = parent_type.fields.get(node.name.value)
    stock = _Step(name, details, _STOCK)
    if field is None or node.arguments or node.directives or field.args:
        return stock
    if not getattr(field.resolve, "_is_default", False):
        return stock
    definition = (field.extensions or {}).get("strawberry-definition")
    attribute = getattr(definition, "python_name", None)
    if not attribute:
        return stock
    inner, non_null = _unwrap(field.type)
    if is_leaf_type(inner):
        leaf: GraphQLLeafType = inner
        return _Step(name, details, _LEAF, attribute, non_null, serialize=leaf.serialize)
    if isinstance(inner, GraphQLList):
        item, item_non_null = _unwrap(inner.of_type)
        if is_leaf_type(item):
            return _Step(
                name,
                details,
                _LEAF_LIST,
                attribute,
                non_null,
                item_non_null,
                serialize=item.serialize,
            )
        return stock
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
        return _Step(name, details, _OBJECT, attribute, non_null, object_type=inner)
    return stock


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with planned, direct reads of plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[GroupedFieldSet, list[_Step]]] = {}

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[_Step]:
        key = (parent_type.name, id(fields))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is fields:
            return cached[1]
        steps = [_plan_field(parent_type, name, details) for name, details in fields.items()]
        self._plans[key] = (fields, steps)  # keeps `fields` alive so its id stays unique
        return steps

    def _fast_value(self, step: _Step, source: Any) -> Any:
        """The completed value of a planned leaf field, or Undefined to use the stock path."""
        value = getattr(source, step.attribute, Undefined)
        if value is Undefined:
            return Undefined
        if value is None:
            return Undefined if step.non_null else None
        serialize = step.serialize
        try:
            if step.mode == _LEAF:
                serialized = serialize(value)
                return Undefined if serialized is None or serialized is Undefined else serialized
            if not isinstance(value, list):
                return Undefined
            if step.item_non_null:
                if None in value:
                    return Undefined
                return [serialize(item) for item in value]
            return [None if item is None else serialize(item) for item in value]
        except Exception:  # the stock path raises the proper, located error
            return Undefined

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for step in self._plan(parent_type, grouped_field_set):
                name = step.response_name
                if step.mode in (_LEAF, _LEAF_LIST):
                    value = self._fast_value(step, source_value)
                    if value is not Undefined:
                        results[name] = value
                        continue
                elif step.mode == _OBJECT:
                    value = getattr(source_value, step.attribute, Undefined)
                    if value is None and not step.non_null:
                        results[name] = None
                        continue
                    if value is not None and value is not Undefined:
                        assert step.object_type is not None
                        grouped, defer_usages, _ = self.collect_subfields(
                            step.object_type, step.details
                        )
                        if not defer_usages:
                            result = self.execute_fields(
                                step.object_type,
                                value,
                                Path(path, name, parent_type.name),
                                grouped,
                                position_context,
                            )
                            results[name] = result
                            if is_awaitable(result):
                                awaitable_fields.append(name)
                            continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    step.details,
                    Path(path, name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
            return results
        pending: list[Awaitable[Any]] = [results[f] for f in awaitable_fields]
        awaited = await gather_with_cancel(*pending)
        results.update(zip(awaitable_fields, awaited, strict=True))
        return results


class CachedNameConverter(NameConverter):
    """Strawberry converts argument names on every resolver call; the result never changes."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted
