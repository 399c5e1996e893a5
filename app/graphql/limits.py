"""Static limits checked on a parsed document before it is validated, and the validation rules."""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    ValidationContext,
    specified_rules,
)

from app.graphql.errors import QueryTooComplex
from app.graphql.shape import DocumentShape, has_fragment_cycle, measure
from app.settings import LimitSettings

__all__ = [
    "MAX_VALIDATION_ERRORS",
    "DocumentShape",
    "OverlapRuleWithoutCycles",
    "enforce",
    "measure",
    "validation_rules",
]

# Pass as validate(max_errors=...): each error locates itself by scanning the document text up
# to its position (≈ 1 ms per 100 KB), so graphql-core's default of 100 could cost 100 ms.
MAX_VALIDATION_ERRORS = 10


class OverlapRuleWithoutCycles(OverlappingFieldsCanBeMergedRule):
    """graphql-core's overlap rule, skipped on a document whose fragments form a cycle.

    NoFragmentCyclesRule refuses such a document anyway, and there the overlap rule's work is
    bounded by nothing `measure` can count (the expansion is infinite).
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.skip = has_fragment_cycle(context.document)

    def enter_selection_set(
        self, selection_set: SelectionSetNode, key: Any, parent: Any, *args: Any
    ) -> None:
        """Compare the fields of the selection set unless the document has a fragment cycle."""
        if not self.skip:
            super().enter_selection_set(selection_set, key, parent, *args)


_WITH_INTROSPECTION: tuple[type[ASTValidationRule], ...] = tuple(
    OverlapRuleWithoutCycles if rule is OverlappingFieldsCanBeMergedRule else rule
    for rule in specified_rules
)
# NoSchemaIntrospectionCustomRule refuses fields returning __Schema or __Type; `__typename`
# returns a String and stays allowed.
_WITHOUT_INTROSPECTION = (*_WITH_INTROSPECTION, NoSchemaIntrospectionCustomRule)


def validation_rules(introspection: bool) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core's specified rules, and no `__schema` or `__type` when introspection is off.

    The overlap rule is OverlapRuleWithoutCycles: use these rules for what `measure` bounds.
    """
    return _WITH_INTROSPECTION if introspection else _WITHOUT_INTROSPECTION


def enforce(shape: DocumentShape, limits: LimitSettings) -> None:
    """Raise QUERY_TOO_COMPLEX, with the numbers, when a limit is exceeded."""
    if shape.depth > limits.max_depth:
        raise QueryTooComplex(
            f"The operation is {shape.depth} levels deep; the maximum is {limits.max_depth}",
            depth=shape.depth,
            maxDepth=limits.max_depth,
        )
    if shape.aliases > limits.max_aliases:
        raise QueryTooComplex(
            f"The operation uses {shape.aliases} aliases; the maximum is {limits.max_aliases}",
            aliases=shape.aliases,
            maxAliases=limits.max_aliases,
        )
    if shape.max_selection_fields > limits.max_fields_per_selection:
        raise QueryTooComplex(
            f"A selection set collects {shape.max_selection_fields} fields once fragments are "
            f"expanded; the maximum is {limits.max_fields_per_selection}",
            fieldsPerSelection=shape.max_selection_fields,
            maxFieldsPerSelection=limits.max_fields_per_selection,
        )
    if shape.total_fields > limits.max_total_fields:
        raise QueryTooComplex(
            f"The document has {shape.total_fields} fields once fragments are expanded; "
            f"the maximum is {limits.max_total_fields}",
            totalFields=shape.total_fields,
            maxTotalFields=limits.max_total_fields,
        )
    if shape.overlap_checks > limits.max_overlap_checks:
        raise QueryTooComplex(
            f"Validating the document could take {shape.overlap_checks} comparisons of fields "
            f"and fragments with the same response path; the maximum is "
            f"{limits.max_overlap_checks}. Select each field once per selection set",
            overlapChecks=shape.overlap_checks,
            maxOverlapChecks=limits.max_overlap_checks,
        )
