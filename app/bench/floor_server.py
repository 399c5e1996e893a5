"""The dashboard's floor: the dashboard query's JSON from one SQL statement (own process)."""

# Run as a script (`python floor_server.py --port N`), never imported by the product: it uses
# nothing of the `app` package, so its cost is Starlette + asyncpg + orjson + this arithmetic.
# It answers POST /graphql exactly as the API answers the benchmark's dashboard document
# (first 100 accounts by added_at, metrics, comparison and series over D30), whatever the body.

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DAYS = 30
PAGE = 100
# metric_day values as this file selects them: the cumulative columns, observations first.
COUNTERS = ("views", "plays", "likes", "comments", "shares", "saves")
ROW = ("observations", *COUNTERS, "followers", "followers_gain", "published")
FOLLOWERS, GAIN, PUBLISHED = 7, 8, 9
KNOWN = (*COUNTERS, "followers")  # metric_scope's <name>_from columns, in this order
ZERO = (0,) * len(ROW)

_ROW = "ARRAY[" + ", ".join(f"m.{c}" for c in ROW) + "]::bigint[]"
_LATEST = (
    f"LEFT JOIN LATERAL (SELECT {_ROW} AS row FROM metric_day m WHERE m.organization_id = k.id "
    "AND m.scope_kind = 2 AND m.scope_id = a.id AND m.day <= ${} "
    "ORDER BY m.day DESC LIMIT 1) {} ON true"
)
SQL = f"""
WITH k AS (SELECT o.id FROM api_key k JOIN organization o ON o.id = k.organization_id
           WHERE k.key_hash = $1 AND k.revoked_at IS NULL)
SELECT a.id, a.handle, a.platform, a.followers, e.row AS at_end, b.row AS before_start,
       p.row AS before_previous, s.known, r.days, r.rows, r.observed
FROM k
LEFT JOIN LATERAL (SELECT * FROM account WHERE organization_id = k.id
                   ORDER BY added_at, id LIMIT {PAGE}) a ON true
{_LATEST.format(2, "e")}
{_LATEST.format(3, "b")}
{_LATEST.format(4, "p")}
LEFT JOIN LATERAL (SELECT ARRAY[{", ".join(f"x.{n}_from" for n in KNOWN)}] AS known
                   FROM metric_scope x WHERE x.organization_id = k.id
                   AND x.scope_kind = 2 AND x.scope_id = a.id) s ON true
LEFT JOIN LATERAL (SELECT array_agg(m.day ORDER BY m.day) AS days,
                          array_agg({_ROW} ORDER BY m.day) AS rows,
                          count(*) FILTER (WHERE m.observations > 0) AS observed
                   FROM metric_day m WHERE m.organization_id = k.id
                   AND m.scope_kind = 2 AND m.scope_id = a.id
                   AND m.day > $3 AND m.day <= $2) r ON true
ORDER BY a.added_at, a.id
"""
_UNAUTHENTICATED = orjson.dumps(
    {
        "errors": [
            {"message": "Invalid or revoked API key", "extensions": {"code": "UNAUTHENTICATED"}}
        ]
    }
)


def rate(views: int | None, likes: int | None, comments: int | None, shares: int | None) -> Any:
    """Engagement rate in percent; null unless views is positive."""
    if views is None or views <= 0:
        return None
    return ((likes or 0) + (comments or 0) + (shares or 0)) / views * 100


def change(current: Any, previous: Any) -> dict[str, Any]:
    """current, previous, change and changePercent (null when previous is 0 or unknown)."""
    delta = None if current is None or previous is None else current - previous
    percent = None if delta is None or not previous else delta / abs(previous) * 100
    return {"current": current, "previous": previous, "change": delta, "changePercent": percent}


def window(start: date, end: date) -> dict[str, Any]:
    """A window as the API echoes it."""
    return {"start": start, "end": end, "days": (end - start).days + 1}


def totals(end: date, at_end: Sequence[int], before: Sequence[int], known: list[Any]) -> list[Any]:
    """followers, followersChange, videosPublished, then the counters' gains, over (.., end]."""
    counters = [
        at_end[i + 1] - before[i + 1] if known[i] is not None and end >= known[i] else None
        for i in range(len(COUNTERS))
    ]
    followers: list[int | None] = [None, None]
    if known[6] is not None and end >= known[6]:
        followers = [at_end[FOLLOWERS], at_end[GAIN] - before[GAIN]]
    return [*followers, at_end[PUBLISHED] - before[PUBLISHED], *counters]


_NAMES = ("followers", "followersChange", "videosPublished", *COUNTERS)


def metrics(span: tuple[date, date], values: list[Any], observed: int) -> dict[str, Any]:
    """The metrics object of one window."""
    out: dict[str, Any] = {"window": window(*span)}
    out.update(zip(_NAMES, values, strict=True))
    out["engagementRate"] = rate(values[3], values[5], values[6], values[7])
    out["coverage"] = observed / ((span[1] - span[0]).days + 1)
    return out


def comparison(
    span: tuple[date, date, date, date], current: list[Any], previous: list[Any]
) -> dict[str, Any]:
    """The comparison object: both windows, each count, then the rate in percentage points."""
    out: dict[str, Any] = {
        "window": window(span[0], span[1]),
        "previousWindow": window(span[2], span[3]),
    }
    for name, now, then in zip(_NAMES, current, previous, strict=True):
        out[name] = change(now, then)
    out["engagementRate"] = change(
        rate(current[3], current[5], current[6], current[7]),
        rate(previous[3], previous[5], previous[6], previous[7]),
    )
    return out


def series(
    dates: list[date],
    before: Sequence[int],
    days: list[date],
    rows: list[list[int]],
    known: list[Any],
) -> dict[str, Any]:
    """The daily series: levels carried forward from the latest row, gains day over day."""
    size = len(dates)
    by_day = dict(zip(days, rows, strict=True))
    level, levels, observed = before, [], []
    for day in dates:
        row = by_day.get(day)
        observed.append(row is not None and row[0] > 0)
        level = row if row is not None else level
        levels.append(level)
    pairs = list(zip(levels, [before, *levels[:-1]], strict=True))

    def first(index: int) -> int:
        known_from = known[index]
        return size if known_from is None else max(0, min(size, (known_from - dates[0]).days))

    def gains(column: int, start: int) -> list[int | None]:
        return [None] * start + [now[column] - then[column] for now, then in pairs[start:]]

    followers_from = first(6)
    out: dict[str, Any] = {
        "window": window(dates[0], dates[-1]),
        "dates": dates,
        "observed": observed,
        "followers": [None] * followers_from + [lv[FOLLOWERS] for lv in levels[followers_from:]],
        "followersChange": gains(GAIN, followers_from),
        "videosPublished": [now[PUBLISHED] - then[PUBLISHED] for now, then in pairs],
    }
    for index, name in enumerate(COUNTERS):
        out[name] = gains(index + 1, first(index))
    out["engagementRate"] = [
        rate(v, lk, c, s)
        for v, lk, c, s in zip(
            out["views"], out["likes"], out["comments"], out["shares"], strict=True
        )
    ]
    return out


def account_id(pk: int) -> str:
    """The account's global id: base64url of "Account:<pk>", unpadded."""
    return base64.urlsafe_b64encode(f"Account:{pk}".encode()).decode().rstrip("=")


def node(record: Any, today: date) -> dict[str, Any]:
    """One account of the page, its D30 metrics, comparison and series."""
    start = today - timedelta(days=DAYS - 1)
    before_start = start - timedelta(days=1)
    previous_start = before_start - timedelta(days=DAYS - 1)
    known = record["known"] or [None] * len(KNOWN)
    at_end = record["at_end"] or ZERO
    before = record["before_start"] or ZERO
    current = totals(today, at_end, before, known)
    previous = totals(before_start, before, record["before_previous"] or ZERO, known)
    dates = [start + timedelta(days=offset) for offset in range(DAYS)]
    return {
        "id": account_id(record["id"]),
        "handle": record["handle"],
        "platform": record["platform"],
        "followers": record["followers"],
        "metrics": metrics((start, today), current, record["observed"]),
        "comparison": comparison((start, today, previous_start, before_start), current, previous),
        "series": series(dates, before, record["days"] or [], record["rows"] or [], known),
    }


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith("ca_") or len(token) > 200:
        return None
    return token


async def dashboard(request: Request) -> Response:
    """POST /graphql: the dashboard's answer for the key's organization, or 401."""
    orjson.loads(await request.body())  # a server reads what it is sent
    token = _bearer(request)
    today = datetime.now(UTC).date()
    records = []
    if token is not None:
        pool: asyncpg.Pool = request.app.state.pool
        key_hash = hashlib.sha256(token.encode()).hexdigest()
        before_start = today - timedelta(days=DAYS)
        records = await pool.fetch(
            SQL, key_hash, today, before_start, before_start - timedelta(days=DAYS)
        )
    if not records:
        return Response(_UNAUTHENTICATED, 401, media_type="application/json")
    nodes = [node(r, today) for r in records if r["id"] is not None]
    body = orjson.dumps({"data": {"accounts": {"nodes": nodes}}})
    return Response(body, media_type="application/json")


async def healthz(request: Request) -> Response:
    """Liveness, for the benchmark's start-up wait."""
    return Response(b"ok")


async def _no_reset(connection: asyncpg.Connection) -> None:
    """The floor keeps no session state: no reset round trip when a connection is released."""


def build(dsn: str) -> Starlette:
    """The floor's app: a pool of 4 connections opened at start-up."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, reset=_no_reset)
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route("/graphql", dashboard, methods=["POST"]), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    """python floor_server.py --port N (database from CREATORAUDIT_DATABASE_URL)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    dsn = os.environ["CREATORAUDIT_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    uvicorn.run(build(dsn), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
