"""Query cost: requested from the document and its variables before execution, actual from the data.

Rules (weights in app.graphql.cost_rules):

| Selection                                  | Cost                                              |
|--------------------------------------------|---------------------------------------------------|
| scalar and enum fields, `__typename`       | 0                                                 |
| any other object                           | 1 per object (`pageInfo`, `viewer`, `node`, …)    |
| connection (`…Connection`)                 | 1 + first × one item, + 1 for `totalCount`        |
| one connection item                        | `edges { node … }` + `nodes { … }`: an edge and   |
|                                            | its cursor are free, a node is an object          |
| `metrics(window)`                          | 2, whatever is selected below it                  |
| `comparison(window)`                       | 3 (two windows), whatever is selected below it    |
| `series(window)`                           | 1 + ⌈days / 15⌉: D7 2, D30 3, D90 7, 366 days 26  |
| `nodes(ids)`                               | len(ids) × (1 + selection)                        |
| `accountMetrics(ids)`, `videoMetrics(ids)` | 1 + len(ids) × (account/video + metrics 2)        |
| `videoDeltas(ids, days)`                   | 1 + len(ids) × (video + len(days) × 1)            |
| `search(limit)`                            | 1 + limit × (1 + selection) per section selected  |
| `topCreators(limit)`                       | 50 (it ranks every creator) + limit × (1 + sel.)  |
| each mutation                              | 10 + its payload's selection; `userErrors` free   |
| `__schema`, `__type`                       | 10 each                                           |
| the operation                              | at least 1                                        |

- Nested lists multiply: `accounts(first: 100) { nodes { videos(first: 10) { nodes { id } } } }`
  costs 1 + 100 × (1 + (1 + 10 × 1)) = 1,201.
- Sizes: `first` defaults to 50, `limit` to 10; a size outside what the API accepts (1–200 for
  `first` and ids, 1–25 for `limit`, 1–10 for `days`), or a variable that is not an integer,
  counts as the maximum. A list argument counts its items (a single value is a list of one);
  a missing one counts as the maximum. A missing variable takes its default, else the argument's.
- Fragments and inline fragments are expanded as execution does: fields with the same response
  key are merged, a fragment spread twice counts once. On an interface or union the most
  expensive possible type counts. `@skip`/`@include` are honoured; a condition that is not a
  boolean (a missing variable) counts the field.
- Actual cost: the same rules on the response data, with the number of items each list really
  returned; a null object costs its own weight, nothing below it. No data (nothing ran): 0;
  otherwise at least 1. The actual cost never exceeds the requested cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    value_from_ast_untyped,
)

from app.graphql.cost_rules import (
    FREE,
    INTROSPECTION,
    UNKNOWN,
    FieldRule,
    Site,
    Sizes,
    field_rule,
)

Sets = tuple[SelectionSetNode, ...]
Fields = dict[str, list[FieldNode]]
# `__schema` and `__type` walk the schema, not the data: a flat weight.
_INTROSPECTION = FieldRule(own=INTROSPECTION, walk=False)


@dataclass(frozen=True, slots=True)
class CostPlan:
    """The requested cost of one operation with its variables, and what re-evaluates it."""

    requested: int
    model: _CostModel = field(repr=False, compare=False)


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> CostPlan:
    """The cost `operation` of the validated `document` asks for, with raw JSON `variables`."""
    model = _CostModel(schema, document, operation, variables)
    return CostPlan(requested=model.requested(), model=model)


def actual_cost(plan: CostPlan, data: Mapping[str, Any] | None) -> int:
    """The cost of what execution returned (`data` as executed, keyed by response name)."""
    return plan.model.actual(data)


def effective_variables(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The raw variables, plus the operation's defaults for those not given."""
    given = dict(variables) if isinstance(variables, Mapping) else {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in given and definition.default_value is not None:
            given[name] = value_from_ast_untyped(definition.default_value)
    return given


def _sets(group: Sequence[FieldNode]) -> Sets:
    return tuple(node.selection_set for node in group if node.selection_set is not None)


class _CostModel:
    """One operation with its variables; memoizes collected fields and selection costs."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = effective_variables(operation, variables)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # Keyed by AST node ids: `operation` and `fragments` keep the nodes alive, ids stay unique.
        self._fields: dict[tuple[tuple[int, ...], str], Fields] = {}
        self._costs: dict[tuple[tuple[int, ...], str, Sizes], int] = {}
        self._rules: dict[tuple[int, str, Sizes], FieldRule] = {}
        self._priced: dict[tuple[tuple[int, ...], str], list[_Priced]] = {}

    def root(self) -> GraphQLObjectType | None:
        """The operation's root type."""
        if self.operation.operation is OperationType.MUTATION:
            return self.schema.mutation_type
        if self.operation.operation is OperationType.SUBSCRIPTION:
            return self.schema.subscription_type
        return self.schema.query_type

    def requested(self) -> int:
        """The requested cost, at least 1."""
        root = self.root()
        if root is None:
            return 1
        return max(1, self._selection_cost((self.operation.selection_set,), root, UNKNOWN))

    def actual(self, data: Mapping[str, Any] | None) -> int:
        """The actual cost of `data`: 0 without data, else at least 1."""
        root = self.root()
        if data is None:
            return 0
        if root is None:
            return 1
        return max(1, self._data_cost((self.operation.selection_set,), root, data))

    # Collecting fields, as graphql-core's execution does.

    def collect(self, sets: Sets, type_: GraphQLObjectType) -> Fields:
        """The fields of `sets` on the object type `type_`, grouped by response key."""
        key = (tuple(map(id, sets)), type_.name)
        found = self._fields.get(key)
        if found is None:
            found = {}
            visited: set[str] = set()
            for selection_set in sets:
                self._collect_into(selection_set, type_, found, visited)
            self._fields[key] = found
        return found

    def _collect_into(
        self,
        selection_set: SelectionSetNode,
        type_: GraphQLObjectType,
        found: Fields,
        seen: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, type_):
                    self._collect_into(selection.selection_set, type_, found, seen)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None or fragment.name.value in seen:
                    continue
                if self._applies(fragment.type_condition, type_):
                    seen.add(fragment.name.value)
                    self._collect_into(fragment.selection_set, type_, found, seen)

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            if directive.name.value not in ("skip", "include"):
                continue
            arguments = directive.arguments or ()
            condition = next((a.value for a in arguments if a.name.value == "if"), None)
            value = None if condition is None else value_from_ast_untyped(condition, self.variables)
            if not isinstance(value, bool):
                continue  # execution would refuse it; counting the field cannot under-count
            if value == (directive.name.value == "skip"):
                return False
        return True

    def _applies(self, condition: NamedTypeNode | None, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is type_:
            return True
        return is_abstract_type(named) and self.schema.is_sub_type(named, type_)

    def rule(self, parent: GraphQLObjectType, node: FieldNode, sizes: Sizes) -> FieldRule:
        """The (memoized) rule of a field selected on `parent` under `sizes`."""
        name = node.name.value
        if name.startswith("__"):
            return FREE if name == "__typename" else _INTROSPECTION
        key = (id(node), parent.name, sizes)
        found = self._rules.get(key)
        if found is None:
            site = Site(parent, node, parent.fields[name], self.variables, sizes)
            found = field_rule(site, parent is self.schema.mutation_type)
            self._rules[key] = found
        return found

    def _returned(self, parent: GraphQLObjectType, node: FieldNode) -> GraphQLNamedType | None:
        """The named type a field returns; None for introspection fields (never walked)."""
        field = parent.fields.get(node.name.value)
        return None if field is None else get_named_type(field.type)

    # Requested cost: counts from the arguments.

    def _selection_cost(self, sets: Sets, type_: GraphQLCompositeType, sizes: Sizes) -> int:
        key = (tuple(map(id, sets)), type_.name, sizes)
        cost = self._costs.get(key)
        if cost is None:
            cost = max(
                (
                    sum(
                        self._field_cost(t, group, sizes)
                        for group in self.collect(sets, t).values()
                    )
                    for t in self._possible(type_)
                ),
                default=0,
            )
            self._costs[key] = cost
        return cost

    def _possible(self, type_: GraphQLCompositeType) -> Sequence[GraphQLObjectType]:
        if isinstance(type_, GraphQLObjectType):
            return (type_,)
        return self.schema.get_possible_types(type_)

    def _field_cost(self, parent: GraphQLObjectType, group: list[FieldNode], sizes: Sizes) -> int:
        rule = self.rule(parent, group[0], sizes)
        below = 0
        named = self._returned(parent, group[0])
        if rule.walk and is_composite_type(named):
            below = self._selection_cost(_sets(group), named, rule.sizes)
        return rule.extra + rule.count * (rule.own + below)

    # Actual cost: counts from the data.

    def _costly(self, sets: Sets, type_: GraphQLObjectType) -> list[_Priced]:
        """The fields of `sets` on `type_` that can cost anything (scalars are dropped)."""
        key = (tuple(map(id, sets)), type_.name)
        found = self._priced.get(key)
        if found is None:
            found = []
            for response_key, group in self.collect(sets, type_).items():
                rule = self.rule(type_, group[0], UNKNOWN)
                named = self._returned(type_, group[0])
                below = named if rule.walk and is_composite_type(named) else None
                if below is not None or rule.extra or rule.own:
                    found.append(_Priced(response_key, rule, below, _sets(group)))
            self._priced[key] = found
        return found

    def _data_cost(self, sets: Sets, type_: GraphQLCompositeType, value: Mapping[str, Any]) -> int:
        if isinstance(type_, GraphQLObjectType):
            return self._object_data_cost(sets, type_, value)
        return max(
            (
                self._object_data_cost(sets, t, value)
                for t in self._possible(type_)
                if self._typename_allows(sets, t, value)
            ),
            default=0,
        )

    def _typename_allows(
        self, sets: Sets, type_: GraphQLObjectType, value: Mapping[str, Any]
    ) -> bool:
        """False when the data's `__typename` names another type than `type_`."""
        for key, group in self.collect(sets, type_).items():
            typename = value.get(key)
            if group[0].name.value == "__typename" and isinstance(typename, str):
                return typename == type_.name
        return True

    def _object_data_cost(
        self, sets: Sets, type_: GraphQLObjectType, value: Mapping[str, Any]
    ) -> int:
        return sum(
            self._field_data_cost(priced, value[priced.key])
            for priced in self._costly(sets, type_)
            if priced.key in value  # absent: not executed (skipped, or under another type)
        )

    def _field_data_cost(self, priced: _Priced, value: Any) -> int:
        rule = priced.rule
        items = value if isinstance(value, list) else [value]
        if priced.below is None:
            return rule.extra + rule.own * len(items)  # never looks into scalar lists
        return rule.extra + sum(
            rule.own
            + (self._data_cost(priced.sets, priced.below, item) if isinstance(item, dict) else 0)
            for item in items
        )


@dataclass(frozen=True, slots=True)
class _Priced:
    """A selected field that may cost something, ready to be priced on response data."""

    key: str
    rule: FieldRule
    below: GraphQLCompositeType | None
    sets: Sets
