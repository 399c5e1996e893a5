"""What a parsed document will cost to validate and run, measured in linear time beforehand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import comb

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)

from app.settings import LimitSettings

# Counts saturate here: a fragment bomb expands to 2**1000 fields and more, and the numbers end
# up in JSON error extensions (at most 2**53 - 1 there).
CAP = 2**53 - 1

# The overlap estimate walks the expanded document, which stays affordable while the walk visits
# at most this many selections per field the limits admit; beyond, a coarser bound from the
# totals stands in (such a document is over the field limit or made mostly of spreads).
EXPANSION_NODES_PER_FIELD = 4


@dataclass(frozen=True, slots=True)
class DocumentShape:
    """What the limits measure in one document, fragment spreads expanded (each one counted).

    `depth` and `aliases` are the executed operation's. The other numbers cover everything
    validation visits: every operation, and every fragment no operation uses.
    """

    depth: int
    aliases: int
    # The most fields one selection set collects (its own, its inline fragments' and its
    # fragments', recursively): at least what graphql-core collects in that set.
    max_selection_fields: int
    total_fields: int
    # At least the comparisons OverlappingFieldsCanBeMergedRule makes (see _comparisons).
    overlap_checks: int


@dataclass(frozen=True, slots=True)
class _Summary:
    """A selection set or one selection of it, spreads expanded, counts saturated at CAP."""

    depth: int = 0  # introspection fields excluded: the schema bounds them
    aliases: int = 0
    top: int = 0  # fields collected into the enclosing selection set
    widest: int = 0  # the most fields collected in one selection set within
    fields: int = 0
    spreads: int = 0
    nodes: int = 0  # fields, inline fragments and spreads a walk of the expansion visits


_EMPTY = _Summary()


def _add(a: int, b: int) -> int:
    return min(a + b, CAP)


def _merge(parts: Iterable[_Summary]) -> _Summary:
    """The summary of a selection set from those of its selections."""
    depth = aliases = top = widest = fields = spreads = nodes = 0
    for part in parts:
        depth = max(depth, part.depth)
        aliases = _add(aliases, part.aliases)
        top = _add(top, part.top)
        widest = max(widest, part.widest)
        fields = _add(fields, part.fields)
        spreads = _add(spreads, part.spreads)
        nodes = _add(nodes, part.nodes)
    return _Summary(depth, aliases, top, max(widest, top), fields, spreads, nodes)


def _flattened(part: _Summary, spread: int) -> _Summary:
    """An inline fragment or a spread: its fields join the enclosing selection set."""
    return _Summary(
        part.depth,
        part.aliases,
        part.top,
        part.widest,
        part.fields,
        _add(part.spreads, spread),
        _add(part.nodes, 1),
    )


class _Summarizer:
    """Summarizes selection sets; fragments must be summarized before what spreads them."""

    def __init__(self) -> None:
        self.done: dict[str, _Summary] = {}

    def selection_set(self, root: SelectionSetNode) -> _Summary:
        """The summary of `root`, children first, without recursion (nesting reaches 200)."""
        order = []
        stack = [root]
        while stack:
            current = stack.pop()
            order.append(current)
            for selection in current.selections:
                if (
                    isinstance(selection, FieldNode | InlineFragmentNode)
                    and selection.selection_set
                ):
                    stack.append(selection.selection_set)
        summaries: dict[int, _Summary] = {}
        for current in reversed(order):  # every selection set after those within it
            parts = (self._selection(selection, summaries) for selection in current.selections)
            summaries[id(current)] = _merge(parts)
        return summaries[id(root)]

    def _selection(self, selection: SelectionNode, summaries: dict[int, _Summary]) -> _Summary:
        if isinstance(selection, FieldNode):
            sub = _EMPTY if not selection.selection_set else summaries[id(selection.selection_set)]
            return _field(selection, sub)
        if isinstance(selection, InlineFragmentNode):
            return _flattened(summaries[id(selection.selection_set)], 0)
        if isinstance(selection, FragmentSpreadNode):
            # A fragment not summarized yet is unknown or closes a cycle: validation reports both.
            return _flattened(self.done.get(selection.name.value, _EMPTY), 1)
        return _EMPTY


def _field(field: FieldNode, sub: _Summary) -> _Summary:
    """A field with the summary of its selection set."""
    alias = 1 if field.alias else 0
    fields, nodes = _add(sub.fields, 1), _add(sub.nodes, 1)
    if field.name.value.startswith("__"):
        # Introspection adds no depth and its aliases are free, as before these limits; its
        # fields are validated like any other, so they count.
        return _Summary(0, alias, 1, sub.widest, fields, sub.spreads, nodes)
    aliases = _add(sub.aliases, alias)
    return _Summary(sub.depth + 1, aliases, 1, sub.widest, fields, sub.spreads, nodes)


def _spread_names(selection_set: SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere within a selection set."""
    names: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)
    return names


def _post_order(spreads: dict[str, list[str]]) -> tuple[list[str], bool]:
    """Fragments, each after those it spreads, and whether the spreads form a cycle.

    Iterative, because a chain of hundreds of fragments would exhaust Python's stack.
    """
    order: list[str] = []
    finished: set[str] = set()
    cyclic = False
    for root in spreads:
        if root in finished:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for target in pending:
                if target in on_path:
                    cyclic = True
                elif target in spreads and target not in finished:
                    path.append((target, iter(spreads[target])))
                    on_path.add(target)
                    break
            else:
                path.pop()
                on_path.discard(name)
                finished.add(name)
                order.append(name)
    return order, cyclic


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """Fragments by name; of two with one name the last, as graphql-core resolves spreads."""
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def has_fragment_cycle(document: DocumentNode) -> bool:
    """Whether a fragment of `document` spreads itself, directly or through others."""
    spreads = {name: _spread_names(f.selection_set) for name, f in _fragments(document).items()}
    return _post_order(spreads)[1]


class _Level:
    """A response path of the expanded document (response names from the root)."""

    __slots__ = ("below", "fields", "nested", "sets", "spreads")

    def __init__(self, sets: int = 0) -> None:
        self.fields = 0  # field nodes at this path
        self.sets = sets  # their selection sets (the root has one)
        self.spreads = 0  # fragment spreads in those selection sets, expanded
        self.nested = 0  # those of them within a spread fragment
        self.below: dict[str, _Level] = {}

    def comparisons(self) -> int:
        """The overlap rule's comparisons of fields at this path and of spreads below it.

        It compares two fields only when they share a response path, each pair at most once,
        whether they are in one selection set (its "within" checks) or in the selection sets
        of two fields it compares ("between"): C(fields, 2). Its fragment comparisons (memoized,
        but every attempt counts) pair a selection set with each spread of the path, and two
        spreads once, or twice when both are nested in spread fragments: sets × spreads +
        C(spreads, 2) + C(nested, 2). Tests count graphql-core's calls against this.
        """
        spread_pairs = comb(self.spreads, 2) + comb(self.nested, 2)
        return comb(self.fields, 2) + self.sets * self.spreads + spread_pairs


def _comparisons(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> int:
    """An upper bound of the overlap rule's comparisons under one root, from its expansion.

    The caller guarantees there is no fragment cycle and that the walk is affordable.
    """
    root = _Level(sets=1)
    levels = [root]
    # A selection set, the path it selects under, whether it is (within) a spread fragment.
    stack = [(selection_set, root, False)]
    while stack:
        selections, level, in_fragment = stack.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                name = selection.alias.value if selection.alias else selection.name.value
                below = level.below.get(name)
                if below is None:
                    below = level.below[name] = _Level()
                    levels.append(below)
                below.fields += 1
                if selection.selection_set is not None:
                    below.sets += 1
                    stack.append((selection.selection_set, below, False))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, in_fragment))
            elif isinstance(selection, FragmentSpreadNode):
                level.spreads += 1  # unknown fragments are compared too (with nothing)
                level.nested += in_fragment
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append((fragment.selection_set, level, True))
    return sum(level.comparisons() for level in levels)


def _coarse_comparisons(whole: _Summary, roots: int) -> int:
    """The per-path bound with every field and spread on one path (sums of squares grow)."""
    fields, spreads = whole.fields, whole.spreads
    return min(comb(fields, 2) + (fields + roots) * spreads + 2 * comb(spreads, 2), CAP)


def _roots(
    document: DocumentNode,
    fragments: dict[str, FragmentDefinitionNode],
    summarizer: _Summarizer,
    summaries: dict[int, _Summary],
) -> list[tuple[SelectionSetNode, _Summary]]:
    """What validation visits on its own: every operation and every fragment no operation uses.

    A used fragment is counted where it is spread. Of two fragments with one name, the one
    spreads do not resolve to is visited on its own.
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    used: set[str] = set()
    stack = [name for op in operations for name in _spread_names(op.selection_set)]
    while stack:
        name = stack.pop()
        if name in fragments and name not in used:
            used.add(name)
            stack.extend(_spread_names(fragments[name].selection_set))
    roots = [(op.selection_set, summaries[id(op)]) for op in operations]
    for definition in document.definitions:
        if not isinstance(definition, FragmentDefinitionNode):
            continue
        name = definition.name.value
        if fragments[name] is not definition:
            roots.append(
                (definition.selection_set, summarizer.selection_set(definition.selection_set))
            )
        elif name not in used:
            roots.append((definition.selection_set, summarizer.done[name]))
    return roots


class _Measurement:
    """What `measure` finds in a document, whichever of its operations is executed."""

    def __init__(self, document: DocumentNode, limits: LimitSettings) -> None:
        self.document = document
        self.limits = limits
        fragments = _fragments(document)
        spreads = {name: _spread_names(f.selection_set) for name, f in fragments.items()}
        order, cyclic = _post_order(spreads)
        self.summarizer = _Summarizer()
        for name in order:
            self.summarizer.done[name] = self.summarizer.selection_set(
                fragments[name].selection_set
            )
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self.summaries = {
            id(op): self.summarizer.selection_set(op.selection_set) for op in operations
        }
        roots = _roots(document, fragments, self.summarizer, self.summaries)
        self.whole = _merge(summary for _, summary in roots)
        if cyclic:
            self.overlap = 0
        elif self.whole.nodes > EXPANSION_NODES_PER_FIELD * limits.max_total_fields:
            self.overlap = _coarse_comparisons(self.whole, len(roots))
        else:
            self.overlap = min(sum(_comparisons(root, fragments) for root, _ in roots), CAP)

    def shape(self, operation: OperationDefinitionNode | None) -> DocumentShape:
        summaries = self.summaries.values()
        if operation is None:
            depth = max((s.depth for s in summaries), default=0)
            aliases = max((s.aliases for s in summaries), default=0)
        else:
            executed = self.summaries.get(id(operation))
            if executed is None:  # not one of the document's definitions: measured on its own
                executed = self.summarizer.selection_set(operation.selection_set)
            depth, aliases = executed.depth, executed.aliases
        return DocumentShape(depth, aliases, self.whole.widest, self.whole.fields, self.overlap)


_DEFAULT_LIMITS = LimitSettings()
# The last document measured: a caller measuring each definition of one document in turn
# measures the document once, not once per definition (which would be quadratic).
_recent: _Measurement | None = None


def measure(
    document: DocumentNode,
    operation: OperationDefinitionNode | None = None,
    limits: LimitSettings | None = None,
) -> DocumentShape:
    """Measure `document` in time linear in its size, whatever its fragments expand to.

    `operation` is the one to execute, whose depth and aliases are reported; without it, the
    deepest and the most aliased operation of the document. `limits` (default: the defaults)
    bound the expansion walked for the overlap estimate.

    A document whose fragments form a cycle is invalid (NoFragmentCyclesRule), and the rules of
    `app.graphql.limits.validation_rules` skip the overlap rule on it: its `overlap_checks` is
    0. graphql-core's stock rules would compare its fields in ways nothing here bounds.
    """
    global _recent
    limits = limits or _DEFAULT_LIMITS
    recent = _recent
    if recent is None or recent.document is not document or recent.limits != limits:
        recent = _recent = _Measurement(document, limits)
    return recent.shape(operation)
