"""Admitting a resolved document: its operation, variables, method and cost, before it runs.

Synchronous and free of I/O, so `creatoraudit benchmark-limits` times exactly this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import OperationDefinitionNode, OperationType, get_operation_ast

from app.graphql.cost import CostPlan, requested_cost
from app.graphql.errors import ApiError, BadUserInput, QueryTooComplex
from app.graphql.http_request import GraphQLRequest
from app.graphql.http_response import error_payload, format_error
from app.graphql.input_bounds import check_variables
from app.graphql.persisted import ResolvedDocument
from app.graphql.schema import schema
from app.settings import LimitSettings


class Refused(Exception):
    """A request answered with errors before anything executed, and the points it is charged."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, Any]],
        headers: dict[str, str],
        charge: int = 1,
    ) -> None:
        super().__init__("refused")
        self.status = status
        self.errors = errors
        self.headers = headers
        self.charge = max(1, charge)


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request ready to execute: its parameters, document, operation and requested cost."""

    params: GraphQLRequest
    resolved: ResolvedDocument
    operation: OperationDefinitionNode
    cost: CostPlan

    @property
    def charge(self) -> int:
        """Points to spend: the requested cost, plus the document's preparation if it was new."""
        return self.cost.requested + self.resolved.charge


def refusal(error: ApiError, status: int, headers: dict[str, str] | None = None) -> Refused:
    """A refusal with one coded error (charged one point)."""
    return Refused(status, [error_payload(error)], headers or {})


def admit(
    params: GraphQLRequest,
    resolved: ResolvedDocument,
    method: str,
    limits: LimitSettings,
    *,
    error_status: int,
    request_id: str = "",
    note: Callable[[OperationDefinitionNode], None] = lambda _: None,
) -> Admitted:
    """The admitted operation of a resolved document, or Refused (with its preparation charge)."""
    prepared, charge = resolved.prepared, resolved.charge
    variables, operation_name = params.variables, params.operation_name

    def refuse(error: ApiError, status: int = error_status, **headers: str) -> Refused:
        return Refused(status, [error_payload(error)], headers, charge)

    if prepared.refusal is not None:
        raise refuse(prepared.refusal)
    if prepared.errors or prepared.document is None:
        errors = [format_error(e, request_id) for e in prepared.errors]
        raise Refused(error_status, errors, {}, charge)
    operation = get_operation_ast(prepared.document, operation_name)
    if operation is None:
        raise refuse(_unknown_operation(operation_name))
    note(operation)
    too_long = check_variables(prepared.variable_limits, variables)
    if too_long is not None:
        raise refuse(too_long)
    if method == "GET" and operation.operation is not OperationType.QUERY:
        kind = operation.operation.value.capitalize()
        raise refuse(BadUserInput(f"{kind}s are not allowed over GET"), 405, Allow="POST")
    cost = requested_cost(schema._schema, prepared.document, operation, variables)
    if cost.requested > limits.max_cost:
        too_costly = QueryTooComplex(
            f"The operation would cost {cost.requested} points; the maximum is {limits.max_cost}",
            cost=cost.requested,
            maxCost=limits.max_cost,
        )
        raise refuse(too_costly)
    return Admitted(params, resolved, operation, cost)


def _unknown_operation(name: str | None) -> BadUserInput:
    if name is None:
        return BadUserInput("The document holds several operations: name one in operationName")
    return BadUserInput(f"No operation named {name!r} in the document", field="operationName")
