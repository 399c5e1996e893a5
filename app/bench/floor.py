"""The floor the dashboard query is measured against: one asyncpg statement, orjson, Starlette.

It returns the same JSON as the GraphQL dashboard query, computed with the same pure functions,
without GraphQL, the ORM or DataLoaders.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import Response

from app.graphql.ids import encode_id
from app.metrics.attribution import COLUMNS, KNOWN_FROM
from app.metrics.compute import (
    Change,
    SeriesValues,
    WindowValues,
    compare,
    series_values,
    window_values,
)
from app.metrics.windows import Preset, Window, preset_window, today_utc

_ROW = ", ".join(f"m.{c}" for c in COLUMNS)
_KNOWN = ", ".join(f"s.{n}_from" for n in KNOWN_FROM)

FLOOR_SQL = f"""
SELECT a.id, a.handle, a.platform, a.followers AS current_followers,
       e.row AS at_end, b.row AS before_start, p.row AS before_previous,
       k.known, r.days, r.rows, r.observed
FROM (SELECT * FROM account WHERE organization_id = $1 ORDER BY added_at, id LIMIT $2) a
LEFT JOIN LATERAL (SELECT ARRAY[{_ROW}] AS row FROM metric_day m WHERE m.scope_kind = 2
    AND m.scope_id = a.id AND m.day <= $3 ORDER BY m.day DESC LIMIT 1) e ON true
LEFT JOIN LATERAL (SELECT ARRAY[{_ROW}] AS row FROM metric_day m WHERE m.scope_kind = 2
    AND m.scope_id = a.id AND m.day <= $4 ORDER BY m.day DESC LIMIT 1) b ON true
LEFT JOIN LATERAL (SELECT ARRAY[{_ROW}] AS row FROM metric_day m WHERE m.scope_kind = 2
    AND m.scope_id = a.id AND m.day <= $5 ORDER BY m.day DESC LIMIT 1) p ON true
LEFT JOIN LATERAL (SELECT ARRAY[{_KNOWN}] AS known FROM metric_scope s
    WHERE s.scope_kind = 2 AND s.scope_id = a.id) k ON true
LEFT JOIN LATERAL (SELECT array_agg(x.day) AS days, array_agg(x.row) AS rows,
    count(*) FILTER (WHERE x.observations > 0) AS observed
    FROM (SELECT m.day, m.observations, ARRAY[{_ROW}] AS row FROM metric_day m
          WHERE m.scope_kind = 2 AND m.scope_id = a.id AND m.day >= $6 AND m.day <= $3
          ORDER BY m.day) x) r ON true
ORDER BY a.added_at, a.id
"""


def _window(window: Window) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "days": window.days}


def _metrics(values: WindowValues, coverage: float) -> dict[str, Any]:
    return {
        "window": _window(values.window),
        "followers": values.followers,
        "followersChange": values.followers_change,
        "videosPublished": values.videos_published,
        "views": values.views,
        "plays": values.plays,
        "likes": values.likes,
        "comments": values.comments,
        "shares": values.shares,
        "saves": values.saves,
        "engagementRate": values.engagement_rate,
        "coverage": coverage,
    }


def _change(change: Change, integer: bool) -> dict[str, Any]:
    cast = (lambda v: None if v is None else int(v)) if integer else (lambda v: v)
    return {
        "current": cast(change.current),
        "previous": cast(change.previous),
        "change": cast(change.change),
        "changePercent": change.change_percent,
    }


def _comparison(current: WindowValues, previous: WindowValues) -> dict[str, Any]:
    counts = (
        "followers",
        "followers_change",
        "videos_published",
        "views",
        "plays",
        "likes",
        "comments",
        "shares",
        "saves",
    )
    names = {"followers_change": "followersChange", "videos_published": "videosPublished"}
    out: dict[str, Any] = {
        "window": _window(current.window),
        "previousWindow": _window(previous.window),
    }
    for name in counts:
        out[names.get(name, name)] = _change(compare(current, previous, name), True)
    out["engagementRate"] = _change(compare(current, previous, "engagement_rate"), False)
    return out


def _series(window: Window, values: SeriesValues) -> dict[str, Any]:
    return {
        "window": _window(window),
        "dates": values.dates,
        "observed": values.observed,
        "followers": values.followers,
        "followersChange": values.followers_change,
        "videosPublished": values.videos_published,
        "views": values.views,
        "plays": values.plays,
        "likes": values.likes,
        "comments": values.comments,
        "shares": values.shares,
        "saves": values.saves,
        "engagementRate": values.engagement_rate,
    }


async def floor_endpoint(request: Request) -> Response:
    """GET /bench/floor?org=ID&first=100: the dashboard's data without GraphQL."""
    pool: asyncpg.Pool = request.app.state.bench_pool
    organization_id = int(request.query_params["org"])
    first = int(request.query_params.get("first", "100"))
    window = preset_window(Preset.D30, today_utc())
    previous = window.previous()
    records = await pool.fetch(
        FLOOR_SQL,
        organization_id,
        first,
        window.end,
        window.before_start,
        previous.before_start,
        window.start,
    )
    nodes = []
    for record in records:
        known = dict(zip(KNOWN_FROM, record["known"] or [None] * len(KNOWN_FROM), strict=True))
        at_end = tuple(record["at_end"]) if record["at_end"] else None
        before = tuple(record["before_start"]) if record["before_start"] else None
        before_previous = tuple(record["before_previous"]) if record["before_previous"] else None
        current = window_values(window, at_end, before, known)
        prior = window_values(previous, before, before_previous, known)
        days: list[date] = record["days"] or []
        rows = [(d, tuple(r)) for d, r in zip(days, record["rows"] or [], strict=True)]
        coverage = (record["observed"] or 0) / window.days
        nodes.append(
            {
                "id": encode_id("Account", record["id"]),
                "handle": record["handle"],
                "platform": record["platform"],
                "followers": record["current_followers"],
                "metrics": _metrics(current, coverage),
                "comparison": _comparison(current, prior),
                "series": _series(window, series_values(window, before, rows, known)),
            }
        )
    body = orjson.dumps({"data": {"accounts": {"nodes": nodes}}})
    return Response(body, media_type="application/json")
