"""The shared multiprocess directory: emptied when a deployment starts, kept while in use."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from app.models import Scope
from tests.conftest import Org
from tests.js.api_server import free_port, running_api_server
from tests.observability.scrape import scrape

PROBE = "query Probe { viewer { organization { id } } }"
SERIES = {"operation": "Probe", "status": "200"}


def _files(directory: Path, pattern: str) -> list[Path]:
    return list(directory.glob(pattern))


async def _serve_and_probe(
    database_url: str, log_dir: Path, directory: Path, key: str, probes: int
) -> float:
    """Run `serve` on `directory`, send `probes` requests, return the Probe count scraped."""
    port = free_port()
    env = {
        "CREATORAUDIT_METRICS__PORT": str(port),
        "CREATORAUDIT_METRICS__MULTIPROC_DIR": str(directory),
    }
    with running_api_server(database_url, log_dir, env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            for _ in range(probes):
                answer = await client.post(
                    "/graphql", json={"query": PROBE}, headers={"Authorization": f"Bearer {key}"}
                )
                assert answer.status_code == 200
        metrics = await scrape(f"http://127.0.0.1:{port}/metrics")
    return metrics.value("creatoraudit_graphql_requests_total", **SERIES)


async def test_a_new_deployment_starts_from_zero_but_a_restart_beside_a_live_process_does_not(
    make_org: Callable[[], Awaitable[Org]], database_url: str, tmp_path: Path
) -> None:
    key = (await make_org()).keys[Scope.READ]
    directory = tmp_path / "metrics"
    assert await _serve_and_probe(database_url, tmp_path / "1", directory, key, 2) == 2
    # The process is gone: its counters stay on disk, its claim does not.
    assert _files(directory, "counter_*.db")
    assert not _files(directory, "live-*.pid")
    # Nobody uses the directory: the next process empties it first.
    assert await _serve_and_probe(database_url, tmp_path / "2", directory, key, 1) == 1
    # A live process (this test, standing in for a worker) has claimed it: it is kept, and
    # the totals go on from what the earlier process counted.
    (directory / f"live-{os.getpid()}.pid").touch()
    assert await _serve_and_probe(database_url, tmp_path / "3", directory, key, 1) == 2
