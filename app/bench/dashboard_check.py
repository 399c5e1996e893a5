"""Before timing: the floor's answer byte for byte against the API's; statements per request."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
from asgi_lifespan import LifespanManager

from app.bench.dashboard_documents import DASHBOARD, body
from app.bench.statements import count_statements, tag_requests
from app.main import create_app
from app.settings import Settings

_TAG = "counted"


def same_answer(api: bytes, floor: bytes) -> bool:
    """The API's body is the floor's, byte for byte, plus the API's `extensions` (its cost)."""
    return api == floor or (floor.endswith(b"}") and api.startswith(floor[:-1] + b',"extensions":'))


def _walk(api: Any, floor: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if type(api) is not type(floor):
        found.append(f"{path}: {api!r:.60} ≠ {floor!r:.60}")
    elif isinstance(api, dict):
        if list(api) != list(floor):
            found.append(f"{path}: fields {list(api)} ≠ {list(floor)}")
            return
        for key in api:
            _walk(api[key], floor[key], f"{path}.{key}", found, limit)
    elif isinstance(api, list):
        if len(api) != len(floor):
            found.append(f"{path}: {len(api)} items ≠ {len(floor)}")
            return
        for index, (left, right) in enumerate(zip(api, floor, strict=True)):
            _walk(left, right, f"{path}[{index}]", found, limit)
    elif orjson.dumps(api) != orjson.dumps(floor):
        found.append(
            f"{path}: {orjson.dumps(api).decode():.60} ≠ {orjson.dumps(floor).decode():.60}"
        )


def differences(api: bytes, floor: bytes, limit: int = 10) -> list[str]:
    """Where two answers differ (API ≠ floor), at most `limit` places."""
    try:
        left, right = orjson.loads(api), orjson.loads(floor)
    except orjson.JSONDecodeError as exc:
        return [f"not JSON: {exc}"]
    if isinstance(left, dict):
        left.pop("extensions", None)
    found: list[str] = []
    _walk(left, right, "$", found, limit)
    return found or ["the same values, serialised differently"]


async def compare_answers(api_url: str, floor_url: str, key: str, seconds: float) -> int:
    """POST the dashboard to both; its size if the answers are identical, else RuntimeError."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    content = body(DASHBOARD)
    async with httpx.AsyncClient(timeout=seconds) as client:
        api = await client.post(api_url, content=content, headers=headers)
        floor = await client.post(floor_url, content=content, headers=headers)
    if api.status_code != 200 or floor.status_code != 200:
        raise RuntimeError(
            f"the dashboard failed: API {api.status_code} {api.content[:300]!r}, "
            f"floor {floor.status_code} {floor.content[:300]!r}"
        )
    if not same_answer(api.content, floor.content):
        summary = "\n  ".join(differences(api.content, floor.content))
        raise RuntimeError(f"the floor's answer differs from the API's:\n  {summary}")
    return len(floor.content)


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Warnings only from one logger while the block runs (its lines would split the report)."""
    log = logging.getLogger(name)
    previous = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(previous)


async def statements_per_dashboard(settings: Settings, key: str) -> int:
    """SQL statements one (warm) dashboard request sends, counted on that request only.

    The app runs in this process behind an ASGI transport; statements of its background tasks
    and of any other request are not counted.
    """
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    content = body(DASHBOARD)
    with _quiet("creatoraudit.access"):
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=tag_requests(app))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await client.post("/graphql", content=content, headers=headers)  # warm
                with count_statements(request=_TAG) as statements:
                    response = await client.post(
                        "/graphql", content=content, headers={**headers, "X-Bench-Request": _TAG}
                    )
    if response.status_code != 200 or b'"errors"' in response.content[:20]:
        raise RuntimeError(f"the dashboard failed in process: {response.content[:300]!r}")
    return len(statements)
