"""Server CPU per dashboard request answered cold (executed) and warm (from the result cache).

`python -m app.bench.warm_cold [--database-url postgres://…/creatoraudit_warm] [--requests 40]`
drops and recreates that database, generates 100 accounts (10 creators × 10, 20 videos each,
180 days), starts `creatoraudit serve` on it and sends the benchmark's dashboard document in
interleaved rounds: **warm** repeats one identical request (same document, variables and key,
no write in between: every answer after the first comes from the cache); **cold** adds an unused
variable `_nonce` that changes with every request, so each one has a cache key of its own and
executes, while parsing and validation stay cached as for any repeated document. CPU is the
server process's own (`/proc`), per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx

from app import db
from app.bench.dashboard_documents import DASHBOARD
from app.bench.dataset import DatasetShape, generate
from app.bench.load_cpu import process_cpu
from app.bench.load_servers import free_port
from app.db_admin import recreate_database
from app.models import Scope
from app.settings import Settings


async def _dataset(url: str) -> str:
    """A fresh database with the modest dataset; returns a READ key of its organization."""
    await recreate_database(url)
    await db.migrate(Settings(database_url=url))
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        report = await generate(connection, DatasetShape(creators=10))
    finally:
        await connection.close()
    from tortoise import Tortoise

    from app.services.api_keys import create_api_key

    await Tortoise.init(config=db.tortoise_config(Settings(database_url=url)))
    try:
        return (await create_api_key(report.organization_id, "warm-cold", Scope.READ)).secret
    finally:
        await Tortoise.close_connections()


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the API did not start")


async def _rounds(port: int, pid: int, key: str, requests: int, rounds: int) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    ratios = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        await _wait_ready(client)
        nonce = 0

        async def cpu_per_request(cold: bool) -> float:
            nonlocal nonce
            before = process_cpu(pid)
            for _ in range(requests):
                nonce += 1
                variables = {"_nonce": nonce} if cold else {}
                body = {"query": DASHBOARD, "variables": variables}
                response = await client.post("/graphql", json=body, headers=headers)
                response.raise_for_status()
            return (process_cpu(pid) - before) / requests * 1000

        await cpu_per_request(cold=True)  # warm up the process (imports, prepared document)
        for number in range(1, rounds + 1):
            cold, warm = await cpu_per_request(True), await cpu_per_request(False)
            ratios.append(cold / warm)
            print(f"round {number}: cold {cold:.1f} ms, warm {warm:.2f} ms, ×{cold / warm:.0f}")
    return ratios


def main() -> int:
    """Generate, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/creatoraudit_warm"
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    key = asyncio.run(_dataset(args.database_url))
    port = free_port()
    env = {
        **os.environ,
        "CREATORAUDIT_DATABASE_URL": args.database_url,
        "CREATORAUDIT_EMBEDDED_WORKER": "false",  # no refreshes competing for the CPU
        # Limited as usual (a warm answer still spends), with room for 900-point dashboards.
        "CREATORAUDIT_RATE_LIMIT__POINTS": "10000000",
    }
    command = [str(Path(sys.executable).parent / "creatoraudit"), "serve", "--port", str(port)]
    quiet = subprocess.DEVNULL  # its access log: one line per request
    server = subprocess.Popen(command, env=env, stdout=quiet, stderr=quiet)
    try:
        ratios = asyncio.run(_rounds(port, server.pid, key, args.requests, args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"cold / warm server CPU per request: median ×{statistics.median(ratios):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
