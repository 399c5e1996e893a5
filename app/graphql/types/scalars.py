"""Custom scalars: 64-bit counters."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

_MAX = 2**63 - 1


def serialize_bigint(value: int) -> int:
    """BigInt output: the integer itself (JSON numbers are exact up to 2^53 in browsers)."""
    return int(value)


def _parse_bigint(value: object) -> int:
    # A JSON number or a decimal string: clients whose JSON numbers are doubles send strings.
    if isinstance(value, bool):
        raise ValueError("BigInt cannot represent a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.lstrip("-").isdigit() and len(value) <= 20:
        number = int(value)
    else:
        raise ValueError(f"BigInt cannot represent {value!r}")
    if not -_MAX - 1 <= number <= _MAX:
        raise ValueError("BigInt is limited to signed 64 bits")
    return number


BigInt = NewType("BigInt", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A signed 64-bit integer, serialised as a JSON number (counters can exceed "
        "2^31); accepted as a number or a decimal string.",
        serialize=serialize_bigint,
        parse_value=_parse_bigint,
    )
}


def big(value: int | None) -> BigInt | None:
    """A counter as the BigInt scalar (null stays null)."""
    return None if value is None else BigInt(value)
