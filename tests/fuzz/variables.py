"""Generated operations with their argument values moved into variables or variable defaults.

hypothesis-graphql writes every argument as a literal; values that arrive as variables (JSON)
or as a variable's default are coerced on other code paths, so the fuzz test sends each
operation one of three ways.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from graphql import (
    ArgumentNode,
    ConstValueNode,
    DocumentNode,
    GraphQLSchema,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)


class Given(StrEnum):
    """How an operation's argument values are sent."""

    LITERAL = "literal"
    VARIABLE = "variable"  # `$v0` in the document, its value in `variables`
    DEFAULT = "default"  # `$v0: Type = <literal>` and no value sent


class _Lift(Visitor):
    """Replaces each literal argument value of a known argument by a fresh variable."""

    def __init__(self, type_info: TypeInfo, given: Given) -> None:
        super().__init__()
        self._type_info = type_info
        self._given = given
        self.definitions: list[VariableDefinitionNode] = []
        self.values: dict[str, Any] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode | None:
        argument = self._type_info.get_argument()
        if argument is None or isinstance(node.value, VariableNode):
            return None  # an unknown argument (a schema violation) stays a literal
        variable = VariableNode(name=NameNode(value=f"v{len(self.definitions)}"))
        default: ConstValueNode | None = None
        if self._given is Given.DEFAULT:
            default = cast(ConstValueNode, node.value)  # generated literals hold no variables
        else:
            self.values[variable.name.value] = value_from_ast_untyped(node.value)
        self.definitions.append(
            VariableDefinitionNode(
                variable=variable,
                type=parse_type(str(argument.type)),
                default_value=default,
                directives=(),
            )
        )
        return ArgumentNode(name=node.name, value=variable)

    def leave_operation_definition(
        self, node: OperationDefinitionNode, *_: Any
    ) -> OperationDefinitionNode:
        definitions = (*(node.variable_definitions or ()), *self.definitions)
        return OperationDefinitionNode(
            operation=node.operation,
            name=node.name,
            variable_definitions=definitions,
            directives=node.directives,
            selection_set=node.selection_set,
        )


def request_body(document: DocumentNode, schema: GraphQLSchema, given: Given) -> dict[str, Any]:
    """The JSON body that sends `document` with its argument values given as `given` says."""
    if given is Given.LITERAL:
        return {"query": print_ast(document)}
    type_info = TypeInfo(schema)
    lift = _Lift(type_info, given)
    lifted = visit(document, TypeInfoVisitor(type_info, lift))
    body: dict[str, Any] = {"query": print_ast(lifted)}
    if lift.values:
        body["variables"] = lift.values
    return body
