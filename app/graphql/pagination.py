"""Keyset pagination for Relay connections, with cursors bound to their filters and order."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import orjson
from tortoise.expressions import Q, RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.graphql.errors import BadUserInput
from app.graphql.types.common import Connection, Edge, OrderDirection, PageInfo

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

M = TypeVar("M", bound=Model)
N = TypeVar("N")
SortValue = int | str | datetime | None


@dataclass(frozen=True, slots=True)
class SortKey:
    """A column a connection can be ordered by; ties are broken by the primary key."""

    field: str
    kind: Literal["int", "datetime", "str"]
    nullable: bool


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated `first`/`after` of one connection request."""

    first: int
    after: tuple[SortValue, int] | None
    binding: str
    key: SortKey
    descending: bool


def binding_of(connection: str, **params: object) -> str:
    """A short digest of a connection's name, filters and order, embedded in its cursors."""
    payload = orjson.dumps([connection, params], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(payload).hexdigest()[:16]


def _encode_value(value: SortValue) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_value(raw: object, kind: str) -> SortValue:
    if raw is None:
        return None
    if kind == "datetime" and isinstance(raw, str):
        return datetime.fromisoformat(raw)
    if kind == "int" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind == "str" and isinstance(raw, str):
        return raw
    raise ValueError("cursor value of the wrong kind")


def encode_cursor(binding: str, value: SortValue, pk: int) -> str:
    """An opaque cursor pointing just after the row (value, pk)."""
    raw = orjson.dumps([binding, _encode_value(value), pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_args(
    first: int | None, after: str | None, *, binding: str, key: SortKey, direction: OrderDirection
) -> PageArgs:
    """Validate `first` (1–200) and decode `after`, refusing cursors issued for other filters."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadUserInput(
            f"`first` must be between 1 and {MAX_PAGE_SIZE}, got {size}", field="first"
        )
    decoded: tuple[SortValue, int] | None = None
    if after is not None:
        decoded = _decode_cursor(after, binding, key)
    return PageArgs(size, decoded, binding, key, direction is OrderDirection.DESC)


def _decode_cursor(cursor: str, binding: str, key: SortKey) -> tuple[SortValue, int]:
    try:
        if len(cursor) > 512:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_binding, value, pk = orjson.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError("bad pk")
        decoded = _decode_value(value, key.kind)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadUserInput("`after` is not a valid cursor", field="after") from None
    if cursor_binding != binding:
        raise BadUserInput(
            "`after` was issued for other filters or another order; start again without it",
            field="after",
        )
    return decoded, pk


def null_last_sql(table: str, column: str) -> str:
    """SQL that is 1 for NULL and 0 otherwise, so nulls sort last in both directions."""
    return f'CASE WHEN "{table}"."{column}" IS NULL THEN 1 ELSE 0 END'


def order_sql(table: str, key: SortKey, descending: bool) -> str:
    """The ORDER BY list of a connection, for window functions over raw SQL."""
    direction = "DESC" if descending else "ASC"
    parts = []
    if key.nullable:
        parts.append(null_last_sql(table, key.field))
    parts.append(f'"{table}"."{key.field}" {direction}')
    parts.append(f'"{table}"."id" {direction}')
    return ", ".join(parts)


def apply_order(query: QuerySet[M], args: PageArgs) -> QuerySet[M]:
    """Order by the sort key (nulls last), then by id, in the requested direction."""
    sign = "-" if args.descending else ""
    table = query.model._meta.db_table
    ordering: list[str] = []
    if args.key.nullable:
        query = query.annotate(_nulls_last=RawSQL(null_last_sql(table, args.key.field)))
        ordering.append("_nulls_last")
    ordering += [f"{sign}{args.key.field}", f"{sign}id"]
    return query.order_by(*ordering)


def after_filter(args: PageArgs) -> Q | None:
    """The keyset condition selecting rows strictly after the cursor."""
    if args.after is None:
        return None
    value, pk = args.after
    field = args.key.field
    cmp = "lt" if args.descending else "gt"
    null_tail: dict[str, Any] = {f"{field}__isnull": True}
    if value is None:
        return Q(**{**null_tail, f"id__{cmp}": pk})
    beyond: dict[str, Any] = {f"{field}__{cmp}": value}
    tie: dict[str, Any] = {field: value, f"id__{cmp}": pk}
    after = Q(**beyond) | Q(**tie)
    if args.key.nullable:
        after |= Q(**null_tail)
    return after


def apply_after(query: QuerySet[M], args: PageArgs) -> QuerySet[M]:
    """Restrict a query to the rows after the cursor."""
    condition = after_filter(args)
    return query if condition is None else query.filter(condition)


async def fetch_page(query: QuerySet[M], args: PageArgs) -> tuple[list[M], bool]:
    """One page of rows plus whether more follow (fetches first + 1 rows)."""
    rows = await apply_order(apply_after(query, args), args).limit(args.first + 1)
    return rows[: args.first], len(rows) > args.first


def build_connection(
    rows: Sequence[M],
    has_next: bool,
    args: PageArgs,
    to_node: Callable[[M], N],
    count: Callable[[], Awaitable[int]],
) -> Connection[N]:
    """Wrap a page of rows in a Relay connection."""
    edges = [
        Edge(
            cursor=encode_cursor(args.binding, getattr(row, args.key.field), row.pk),
            node=to_node(row),
        )
        for row in rows
    ]
    return Connection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=args.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


def sort_in_memory(rows: Sequence[Any], args: PageArgs) -> list[Any]:
    """Order already-loaded rows exactly as `apply_order` orders them in SQL."""

    def key(row: Any) -> tuple[Any, ...]:
        value = getattr(row, args.key.field)
        return (value is None, value if value is not None else 0, row.pk)

    ordered = sorted(rows, key=key, reverse=args.descending)
    if args.descending:  # keep nulls last when reversing
        ordered = [r for r in ordered if getattr(r, args.key.field) is not None] + [
            r for r in ordered if getattr(r, args.key.field) is None
        ]
    return ordered


def page_in_memory(rows: Sequence[M], args: PageArgs) -> tuple[list[M], bool]:
    """Apply the cursor and page size to rows sorted by `sort_in_memory`."""
    ordered = sort_in_memory(rows, args)
    if args.after is not None:
        value, pk = args.after
        for index, row in enumerate(ordered):
            if (getattr(row, args.key.field), row.pk) == (value, pk):
                ordered = ordered[index + 1 :]
                break
        else:
            ordered = [row for row in ordered if _is_after(row, args)]
    return ordered[: args.first], len(ordered) > args.first


def _is_after(row: Any, args: PageArgs) -> bool:
    assert args.after is not None
    value, pk = args.after
    own = getattr(row, args.key.field)
    if value is None:
        return own is None and (row.pk < pk if args.descending else row.pk > pk)
    if own is None:
        return True
    if own == value:
        return bool(row.pk < pk if args.descending else row.pk > pk)
    return bool(own < value if args.descending else own > value)
