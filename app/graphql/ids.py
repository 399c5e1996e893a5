"""Opaque Relay global ids: base64url of "<TypeName>:<primary key>"."""

from __future__ import annotations

import base64
import binascii

from app.graphql.errors import NotFound

NODE_TYPES = frozenset(
    {"Organization", "ApiKey", "Account", "AccountVideo", "IndividualVideo", "Creator"}
)


def encode_id(type_name: str, pk: int) -> str:
    """The global id of row `pk` exposed as `type_name`."""
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_id(global_id: str) -> tuple[str, int] | None:
    """Split a global id into (type name, pk), or None when it is not one of ours."""
    if not isinstance(global_id, str) or not 2 <= len(global_id) <= 64:
        return None
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, pk_text = raw.partition(":")
    if not sep or type_name not in NODE_TYPES or not pk_text.isdigit() or len(pk_text) > 10:
        return None
    pk = int(pk_text)
    if not 0 < pk < 2**31:
        return None
    return type_name, pk


def decode_id_of(global_id: str, *type_names: str) -> int | None:
    """The pk of `global_id` if it names one of `type_names`, else None."""
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] not in type_names:
        return None
    return decoded[1]


def require_id_of(global_id: str, *type_names: str, field: str = "id") -> int:
    """The pk of `global_id`, or NOT_FOUND when it is malformed or of another type."""
    pk = decode_id_of(global_id, *type_names)
    if pk is None:
        raise NotFound(f"No {' or '.join(type_names)} with id {global_id!r}", field=field)
    return pk
