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

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

from graphql import (
    GraphQLField,
    GraphQLFloat,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.types.base_scalars import DateDefinition
from strawberry.types.arguments import convert_arguments

from app.graphql.flat_plan import FlatPlan, compile_flat
from app.graphql.types.scalars import serialize_bigint

_STOCK, _LEAF, _LEAF_LIST, _OBJECT, _CALL = range(5)
_INT_OR_NONE = frozenset({int, type(None)})
_FLOAT_OR_NONE = frozenset({float, type(None)})
_INT32 = (-(2**31), 2**31 - 1)
_DATE_OR_NONE = frozenset({date, type(None)})
_DATE_SERIALIZE = DateDefinition.serialize


def _serialises_to_itself(serialize: Any, values: list[Any]) -> bool:
    """True when serialising each item would return it unchanged (so the list can be kept)."""
    kinds = set(map(type, values))
    if serialize is serialize_bigint:
        return kinds <= _INT_OR_NONE
    if serialize is GraphQLInt.serialize and kinds <= _INT_OR_NONE:
        known = [v for v in values if v is not None]
        return not known or (_INT32[0] <= min(known) and max(known) <= _INT32[1])
    if serialize is GraphQLFloat.serialize and kinds <= _FLOAT_OR_NONE:
        return all(math.isfinite(v) for v in values if v is not None)
    # `date` objects (never `datetime`, whose type differs) are written by orjson exactly as
    # the Date scalar's isoformat() would write them.
    return serialize is _DATE_SERIALIZE and kinds <= _DATE_OR_NONE


@dataclass(frozen=True, slots=True)
class _Step:
    response_name: str
    details: FieldDetailsList
    mode: int
    getter: Callable[..., Any] | None = None
    non_null: bool = False
    item_non_null: bool = False
    serialize: Any = None
    object_type: GraphQLObjectType | None = None


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


_GETTER = "creatoraudit.getter"
_FAST_RESOLVER = "_creatoraudit_fast_resolver"

F = TypeVar("F", bound=Callable[..., Any])


def fast_resolver(func: F) -> F:
    """Mark a synchronous `(self, info, **arguments)` resolver as safe to call directly.

    The executor then converts its arguments once per request and calls it without
    Strawberry's per-call wrapping. The resolver may only use `info.context`.
    """
    setattr(func, _FAST_RESOLVER, True)
    return func


class _ContextOnly:
    """What a fast resolver gets as `info`: the context, and the names selected on its result.

    The executor points it at the field being resolved just before each (synchronous) call.
    """

    __slots__ = ("_executor", "context", "step")

    def __init__(self, context: Any, executor: FastExecutionContext) -> None:
        self.context = context
        self._executor = executor
        self.step: _Step | None = None

    def selected_names(self) -> list[str] | None:
        """The fields selected on the result of the field being resolved (fragments and
        @skip/@include applied), or None when that is not known (a deferred selection)."""
        step = self.step
        if step is None or step.object_type is None:
            return None
        grouped = self._executor._subfields(step.object_type, step.details)
        if grouped is None:
            return None
        return [details[0].node.name.value for details in grouped.values()]


def _simple_getter(field: GraphQLField) -> Callable[[Any], Any] | None:
    """A direct read for a field: a plain attribute, or a method taking only `self`."""
    cached = (field.extensions or {}).get(_GETTER, Undefined)
    if cached is not Undefined:
        return cached  # type: ignore[no-any-return]
    getter: Callable[..., Any] | None = None
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is not None and not field.args and not definition.permission_classes:
        resolver = definition.base_resolver
        if resolver is None and getattr(field.resolve, "_is_default", False):
            getter = attrgetter(definition.python_name)
        elif (
            resolver is not None
            and not resolver.is_async
            and not definition.extensions
            and list(inspect.signature(resolver.wrapped_func).parameters) == ["self"]
        ):
            getter = resolver.wrapped_func
    if field.extensions is not None:
        field.extensions[_GETTER] = getter
    return getter


def _plan_field(parent_type: GraphQLObjectType, name: str, details: FieldDetailsList) -> _Step:
    node = details[0].node
    field = parent_type.fields.get(node.name.value)
    stock = _Step(name, details, _STOCK)
    if field is None or node.directives:
        return stock
    definition = (field.extensions or {}).get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    if resolver is not None and getattr(resolver.wrapped_func, _FAST_RESOLVER, False):
        inner, non_null = _unwrap(field.type)
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            return _Step(name, details, _CALL, resolver.wrapped_func, non_null, object_type=inner)
        return stock
    if node.arguments:
        return stock
    getter = _simple_getter(field)
    if getter is None:
        return stock
    inner, non_null = _unwrap(field.type)
    if is_leaf_type(inner):
        leaf: GraphQLLeafType = inner
        return _Step(name, details, _LEAF, getter, non_null, serialize=leaf.serialize)
    if isinstance(inner, GraphQLList):
        item, item_non_null = _unwrap(inner.of_type)
        if is_leaf_type(item):
            return _Step(
                name,
                details,
                _LEAF_LIST,
                getter,
                non_null,
                item_non_null,
                serialize=item.serialize,
            )
        return stock
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
        return _Step(name, details, _OBJECT, getter, non_null, object_type=inner)
    return stock


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with planned, direct reads of plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[GroupedFieldSet, list[_Step]]] = {}
        self._arguments: dict[int, tuple[FieldDetailsList, dict[str, Any]]] = {}
        self._flat_plans: dict[tuple[str, int], tuple[GroupedFieldSet, FlatPlan | None]] = {}
        self._info = _ContextOnly(self.context_value, self)

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[_Step]:
        key = (parent_type.name, id(fields))
        cached = self._plans.get(key)
        if cached is not None and cached[0] is fields:
            return cached[1]
        steps = [_plan_field(parent_type, name, details) for name, details in fields.items()]
        self._plans[key] = (fields, steps)  # keeps `fields` alive so its id stays unique
        return steps

    def _subfields(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> GroupedFieldSet | None:
        grouped, defer_usages, _ = self.collect_subfields(object_type, details)
        return None if defer_usages else grouped

    def _flat(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> FlatPlan | None:
        """The whole-object plan of a selection on a trusted type (None: walk it field by field)."""
        key = (parent_type.name, id(fields))
        cached = self._flat_plans.get(key)
        if cached is not None and cached[0] is fields:
            return cached[1]
        plan = compile_flat(parent_type, fields, self._subfields)
        self._flat_plans[key] = (fields, plan)  # keeps `fields` alive so its id stays unique
        return plan

    def _fast_list(self, step: _Step, source: Any) -> Any:
        """The completed value of a planned leaf-list field, or Undefined for the stock path."""
        assert step.getter is not None
        try:
            value = step.getter(source)
        except Exception:  # the stock path reports it as a field error
            return Undefined
        if value is None:
            return Undefined if step.non_null else None
        serialize = step.serialize
        try:
            if not isinstance(value, list):
                return Undefined
            if _serialises_to_itself(serialize, value):
                return Undefined if step.item_non_null and None in value else value
            if step.item_non_null:
                if None in value:
                    return Undefined
                return [serialize(item) for item in value]
            return [None if item is None else serialize(item) for item in value]
        except Exception:  # the stock path raises the proper, located error
            return Undefined

    def _call_arguments(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> dict[str, Any] | None:
        """A fast resolver's converted arguments, computed once per field node and request."""
        cached = self._arguments.get(id(details))
        if cached is not None and cached[0] is details:
            return cached[1]
        node = details[0].node
        field = parent_type.fields[node.name.value]
        definition = field.extensions["strawberry-definition"]
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        try:
            raw = get_argument_values(
                field,
                node,
                self.variable_values,
                details[0].fragment_variable_values,
                self.hide_suggestions,
            )
            arguments = convert_arguments(
                raw,
                definition.arguments,
                scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                config=strawberry_schema.config,
            )
        except Exception:  # coercion problems are reported by the stock path
            return None
        self._arguments[id(details)] = (details, arguments)
        return arguments

    def _fast_call(
        self,
        step: _Step,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        position_context: Any,
    ) -> Any:
        """Call a fast resolver and complete its object, or Undefined to use the stock path."""
        arguments = self._call_arguments(parent_type, step.details)
        if arguments is None or step.getter is None or step.object_type is None:
            return Undefined
        try:
            self._info.step = step
            value = step.getter(source, self._info, **arguments)
        except Exception:
            return Undefined
        field_path = Path(path, step.response_name, parent_type.name)
        if self.is_awaitable(value):
            field = parent_type.fields[step.details[0].node.name.value]
            info = self.build_resolve_info(field, to_nodes(step.details), parent_type, field_path)
            return self.complete_awaitable_value(
                field.type, step.details, info, field_path, value, position_context
            )
        if value is None:
            return Undefined if step.non_null else None
        grouped, defer_usages, _ = self.collect_subfields(step.object_type, step.details)
        if defer_usages:
            return Undefined
        return self.execute_fields(step.object_type, value, field_path, grouped, position_context)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        flat = self._flat(parent_type, grouped_field_set)
        if flat is not None:
            completed = flat.complete(source_value)
            if completed is not Undefined:
                return completed
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for step in self._plan(parent_type, grouped_field_set):
                name = step.response_name
                mode = step.mode
                if mode == _LEAF:
                    # The commonest case, inlined: a plain value that serialises cleanly.
                    # Anything else (an exception, a null where none may be) takes the stock
                    # path below, which reports the error exactly as usual.
                    try:
                        raw = step.getter(source_value)  # type: ignore[misc]
                        value = None if raw is None else step.serialize(raw)
                        clean = (raw is None and not step.non_null) or (
                            value is not None and value is not Undefined
                        )
                    except Exception:
                        clean = False
                    if clean:
                        results[name] = value
                        continue
                elif mode == _LEAF_LIST:
                    value = self._fast_list(step, source_value)
                    if value is not Undefined:
                        results[name] = value
                        continue
                elif mode == _CALL:
                    result = self._fast_call(
                        step, parent_type, source_value, path, position_context
                    )
                    if result is not Undefined:
                        results[name] = result
                        if is_awaitable(result):
                            awaitable_fields.append(name)
                        continue
                elif mode == _OBJECT:
                    assert step.getter is not None
                    try:
                        value = step.getter(source_value)
                    except Exception:
                        value = Undefined
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
