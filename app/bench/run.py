"""`creatoraudit benchmark`: build the dataset, then measure the API against its floor."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx

from app import db
from app.bench.dataset import DatasetShape, generate
from app.db_admin import recreate_database
from app.metrics.windows import today_utc
from app.models import Scope
from app.settings import Settings

DASHBOARD = """
query Dashboard {
  accounts(first: 100, orderBy: {field: ADDED_AT, direction: ASC}) {
    nodes {
      id handle platform followers
      metrics(window: {preset: D30}) {
        window { start end days } followers followersChange videosPublished views plays likes
        comments shares saves engagementRate coverage
      }
      comparison(window: {preset: D30}) {
        window { start end days } previousWindow { start end days }
        followers { ...C } followersChange { ...C } videosPublished { ...C } views { ...C }
        plays { ...C } likes { ...C } comments { ...C } shares { ...C } saves { ...C }
        engagementRate { current previous change changePercent }
      }
      series(window: {preset: D30}) {
        window { start end days } dates observed followers followersChange videosPublished
        views plays likes comments shares saves engagementRate
      }
    }
  }
}
fragment C on CountChange { current previous change changePercent }
"""

ORG_METRICS = """
query Org($window: WindowInput!) {
  organization {
    metrics(window: $window) { followers followersChange videosPublished views likes
      engagementRate coverage }
    comparison(window: $window) { views { current previous change changePercent }
      followers { current previous change } }
  }
}
"""

ORG_SERIES = """
query OrgSeries($window: WindowInput!) {
  organization { series(window: $window) { dates observed followers views likes comments } }
}
"""


@dataclass
class Timing:
    """Latencies and server CPU of a run of identical requests."""

    latencies_ms: list[float]
    cpu_ms_per_request: float

    @property
    def p50(self) -> float:
        """Median latency."""
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        """95th percentile latency."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def _measure(pid: int, requests: int, call: Callable[[], Awaitable[None]]) -> Timing:
    for _ in range(3):
        await call()
    latencies = []
    cpu_before = _cpu_seconds(pid)
    for _ in range(requests):
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1000)
    cpu = (_cpu_seconds(pid) - cpu_before) / requests * 1000
    return Timing(latencies, cpu)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _prepare(url: str, scales: list[int], reuse: bool) -> dict[int, tuple[int, str]]:
    """One organization per scale (fresh unless `reuse`); returns {scale: (org id, API key)}."""
    orgs: dict[int, tuple[int, str]] = {}
    if reuse:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            for scale in scales:
                org_id = await connection.fetchval(
                    "SELECT max(id) FROM organization WHERE name = $1", f"Benchmark x{scale}"
                )
                if org_id is not None:
                    orgs[scale] = (org_id, "")
        finally:
            await connection.close()
    if len(orgs) < len(scales):
        orgs = await _generate(url, scales)
    else:
        print("  reusing the existing dataset", flush=True)
    from tortoise import Tortoise

    from app.services.api_keys import create_api_key

    await Tortoise.init(config=db.tortoise_config(Settings(database_url=url)))
    try:
        for scale, (org_id, _) in orgs.items():
            orgs[scale] = (org_id, (await create_api_key(org_id, "bench", Scope.READ)).secret)
    finally:
        await Tortoise.close_connections()
    return orgs


async def _generate(url: str, scales: list[int]) -> dict[int, tuple[int, str]]:
    await recreate_database(url)
    await db.migrate(Settings(database_url=url))
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    orgs: dict[int, tuple[int, str]] = {}
    try:
        for scale in scales:
            report = await generate(connection, DatasetShape(scale=scale))
            print(
                f"  scale {scale}: {report.accounts:,} accounts, {report.videos:,} videos, "
                f"{report.snapshots:,} snapshots, {report.metric_rows:,} metric rows "
                f"in {report.seconds:.0f} s",
                flush=True,
            )
            orgs[scale] = (report.organization_id, "")
    finally:
        await connection.close()
    return orgs


async def _statements_per_dashboard(url: str, key: str) -> int:
    from asgi_lifespan import LifespanManager

    from app.bench.statements import count_statements
    from app.main import create_app

    app = create_app(Settings(database_url=url))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            with count_statements() as statements:
                await client.post(
                    "/graphql",
                    json={"query": DASHBOARD},
                    headers={"Authorization": f"Bearer {key}"},
                )
    return len(statements)


def benchmark(
    url: str, scale: int, compare_scale: int | None, requests: int, reuse: bool = False
) -> int:
    """Run the whole benchmark and print its table."""
    scales = [scale] + ([compare_scale] if compare_scale else [])
    print(f"Generating the dataset into {db.describe(Settings(database_url=url))} …", flush=True)
    orgs = asyncio.run(_prepare(url, scales, reuse))
    port = _free_port()
    # Every request repeats the last: measure execution, not the result cache (warm_cold.py).
    env = {**os.environ, "CREATORAUDIT_DATABASE_URL": url, "CREATORAUDIT_RESULT_CACHE_BYTES": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.bench.server", "--port", str(port)], env=env
    )
    try:
        return asyncio.run(_run(url, port, server.pid, orgs, scales, requests))
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


async def _run(
    url: str,
    port: int,
    pid: int,
    orgs: dict[int, tuple[int, str]],
    scales: list[int],
    requests: int,
) -> int:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        await _wait_ready(client)
        rows: list[tuple[str, str, str]] = []
        today = today_utc()
        windows = {
            "D7": {"preset": "D7"},
            "D90": {"preset": "D90"},
            "366 d": {
                "range": {
                    "start": (today - timedelta(days=365)).isoformat(),
                    "end": today.isoformat(),
                }
            },
        }
        results: dict[tuple[int, str], Timing] = {}
        for scale in scales:
            org_id, key = orgs[scale]
            headers = {"Authorization": f"Bearer {key}"}

            async def dashboard(headers: dict[str, str] = headers) -> None:
                response = await client.post("/graphql", json={"query": DASHBOARD}, headers=headers)
                assert response.status_code == 200 and "errors" not in response.json()

            async def floor(org_id: int = org_id) -> None:
                response = await client.get(f"/bench/floor?org={org_id}&first=100")
                assert response.status_code == 200

            results[(scale, "dashboard")] = await _measure(pid, requests, dashboard)
            results[(scale, "floor")] = await _measure(pid, requests, floor)
            for label, window in windows.items():
                for name, document in (("org metrics", ORG_METRICS), ("org series", ORG_SERIES)):

                    async def org(
                        document: str = document,
                        window: object = window,
                        headers: dict[str, str] = headers,
                    ) -> None:
                        response = await client.post(
                            "/graphql",
                            json={"query": document, "variables": {"window": window}},
                            headers=headers,
                        )
                        assert response.status_code == 200 and "errors" not in response.json()

                    results[(scale, f"{name} {label}")] = await _measure(pid, requests, org)
        print()
        print(f"{'measurement':<32}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms/req':>12}")
        for (scale, name), timing in results.items():
            print(
                f"{f'x{scale} {name}':<32}{timing.p50:>10.2f}{timing.p95:>10.2f}"
                f"{timing.cpu_ms_per_request:>12.2f}"
            )
        statements = await _statements_per_dashboard(url, orgs[scales[0]][1])
        print(f"\nSQL statements per dashboard request: {statements}")
        print()
        print("ratios (targets in brackets)")
        base = scales[0]
        dashboard_timing = results[(base, "dashboard")]
        floor_timing = results[(base, "floor")]
        rows.append(
            (
                "dashboard / floor, CPU",
                f"{dashboard_timing.cpu_ms_per_request / floor_timing.cpu_ms_per_request:.2f}",
                "≤ 3",
            )
        )
        rows.append(
            (
                "dashboard / floor, p50 latency",
                f"{dashboard_timing.p50 / floor_timing.p50:.2f}",
                "≤ 3",
            )
        )
        for name in ("org metrics", "org series"):
            d7 = results[(base, f"{name} D7")].p50
            long = results[(base, f"{name} 366 d")].p50
            rows.append((f"{name}: 366 d / D7, p50", f"{long / d7:.2f}", "≤ 1.5"))
        if len(scales) > 1:
            other = scales[1]
            for name in ("org metrics D90", "org series D90", "dashboard"):
                ratio = results[(other, name)].p50 / results[(base, name)].p50
                rows.append((f"{name}: x{other} / x{base}, p50", f"{ratio:.2f}", "≤ 2"))
        for label, value, target in rows:
            print(f"  {label:<40}{value:>8}   [{target}]")
    return 0
