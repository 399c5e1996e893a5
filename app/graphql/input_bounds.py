"""Maximum lengths of string arguments and the refusal of NUL characters (README: hostile input).

Every `String` and `ID` argument (and input field) of the schema has a maximum length in
`MAX_LENGTHS`, by argument name; tests/graphql/test_input_bounds.py walks the schema so that a new
string argument without one fails. A text over its maximum, or any string argument holding a
NUL character (PostgreSQL cannot store one in text), is refused as BAD_USER_INPUT before the
operation runs: literals once, when the document is prepared; variables on every request.

Strings at names outside the table belong to other scalars (Date, DateTime, BigInt) or enums,
whose own parsing refuses what is malformed; they are still checked for NUL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)

from app.graphql.errors import BadUserInput

# Characters, by argument (or input field) name. Chosen above the longest valid value, so a
# value within them gets the argument's own, more precise answer (a userError or NOT_FOUND).
MAX_LENGTHS: Mapping[str, int] = {
    "query": 200,  # search and list filters
    "after": 512,  # connection cursors
    "handle": 100,
    "authorHandle": 100,
    "url": 2048,
    "shortcode": 64,
    "id": 128,  # global ids (at most 64 characters when valid) and addVideo's numeric post id
    "ids": 128,  # each id of the list
    "accountId": 128,
    "apiKeyId": 128,
    "accountIds": 128,
    "creatorId": 128,
    "name": 200,
    "description": 2000,
    "idempotencyKey": 200,
    "accessToken": 4096,
}

# Per variable: the smallest maximum of the arguments it is given to (None: no maximum), and
# the name of that argument (errors name it).
Limits = Mapping[str, tuple[int | None, str]]


def refusal_of(text: str, name: str, limit: int | None) -> BadUserInput | None:
    """Why `text` given for `name` is refused, or None when it is acceptable."""
    if limit is not None and len(text) > limit:
        return BadUserInput(
            f"`{name}` is limited to {limit} characters; it has {len(text)}",
            field=name,
            reason="TOO_LONG",
            maxLength=limit,
            length=len(text),
        )
    if "\x00" in text:
        return BadUserInput(
            f"`{name}` contains a NUL character (U+0000), which is not allowed",
            field=name,
            reason="NUL_CHARACTER",
        )
    return None


def _tighter(
    known: tuple[int | None, str] | None, limit: int | None, name: str
) -> tuple[int | None, str]:
    if known is None or (limit is not None and (known[0] is None or limit < known[0])):
        return limit, name
    return known


def _selection_sets(document: DocumentNode) -> Iterator[SelectionSetNode]:
    pending = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while pending:
        selection_set = pending.pop()
        yield selection_set
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)


def _arguments(document: DocumentNode) -> Iterator[ArgumentNode]:
    for selection_set in _selection_sets(document):
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield from selection.arguments or ()
            for directive in selection.directives or ():
                yield from directive.arguments or ()


def _scan_literal(
    value: ValueNode, name: str, limit: int | None, limits: dict[str, tuple[int | None, str]]
) -> BadUserInput | None:
    """Check a literal's strings (`limit` at its top, by name inside objects); record the
    limit of each variable it holds."""
    pending: list[tuple[ValueNode, str, int | None]] = [(value, name, limit)]
    while pending:
        node, at, at_limit = pending.pop()
        if isinstance(node, VariableNode):
            var = node.name.value
            limits[var] = _tighter(limits.get(var), at_limit, at)
        elif isinstance(node, StringValueNode):
            refused = refusal_of(node.value, at, at_limit)
            if refused is not None:
                return refused
        elif isinstance(node, ListValueNode):
            pending.extend((item, at, at_limit) for item in node.values)
        elif isinstance(node, ObjectValueNode):
            pending.extend(
                (f.value, f.name.value, MAX_LENGTHS.get(f.name.value)) for f in node.fields
            )
    return None


def scan_document(document: DocumentNode) -> tuple[BadUserInput | None, Limits]:
    """A refusal for the first literal out of bounds, and the limit of every variable."""
    limits: dict[str, tuple[int | None, str]] = {}
    for argument in _arguments(document):
        name = argument.name.value
        refused = _scan_literal(argument.value, name, MAX_LENGTHS.get(name), limits)
        if refused is not None:
            return refused, limits
    for definition in document.definitions:
        for variable in getattr(definition, "variable_definitions", None) or ():
            var = variable.variable.name.value
            limit, name = limits.setdefault(var, (None, var))
            if variable.default_value is not None:
                # A default is a value of its variable: the variable's limit applies to it.
                refused = _scan_literal(variable.default_value, name, limit, {})
                if refused is not None:
                    return refused, limits
    return None, limits


def check_variables(limits: Limits, variables: Mapping[str, Any] | None) -> BadUserInput | None:
    """A refusal for the first string of a declared variable out of bounds, or None."""
    if not variables:
        return None
    pending: list[tuple[Any, str, int | None]] = [
        (variables[var], name, limit) for var, (limit, name) in limits.items() if var in variables
    ]
    while pending:  # iterative: JSON nesting may be deeper than Python's recursion limit
        value, name, limit = pending.pop()
        if isinstance(value, str):
            refused = refusal_of(value, name, limit)
            if refused is not None:
                return refused
        elif isinstance(value, list):
            pending.extend((item, name, limit) for item in value)
        elif isinstance(value, dict):
            pending.extend(
                (item, str(key), MAX_LENGTHS.get(str(key))) for key, item in value.items()
            )
    return None
