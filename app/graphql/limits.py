"""Static limits checked on a parsed document before it runs: depth and aliases."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from app.graphql.errors import QueryTooComplex
from app.settings import LimitSettings


@dataclass(frozen=True, slots=True)
class DocumentShape:
    """What the limits measure in one operation."""

    depth: int
    aliases: int


def measure(document: DocumentNode, operation: OperationDefinitionNode) -> DocumentShape:
    """Depth (introspection fields excluded) and alias count of `operation`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    aliases = 0

    def walk(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        nonlocal aliases
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.name.value.startswith("__"):
                    continue  # introspection is bounded by the schema itself
                if selection.selection_set is not None:
                    deepest = max(deepest, 1 + walk(selection.selection_set, seen))
                else:
                    deepest = max(deepest, 1)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, walk(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:  # cycles fail validation later
                    deepest = max(deepest, walk(fragment.selection_set, seen | {name}))
        return deepest

    depth = walk(operation.selection_set, frozenset())
    return DocumentShape(depth=depth, aliases=aliases)


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
