"""`creatoraudit benchmark`: `creatoraudit serve` against a minimal floor, in interleaved rounds."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from app.bench.dashboard_check import compare_answers, statements_per_dashboard
from app.bench.dashboard_data import Dataset, prepare
from app.bench.dashboard_documents import DASHBOARD, ORG_METRICS, ORG_SERIES, body, org_windows
from app.bench.dashboard_report import (
    API,
    FLOOR,
    DashboardBenchOptions,
    DashboardBenchReport,
    Phase,
)
from app.bench.dashboard_report import DASHBOARD as DASHBOARD_MEASUREMENT
from app.bench.load_servers import (
    Server,
    deployment_env,
    merged_results,
    run_client,
    start_server,
    stop_server,
)
from app.metrics.windows import today_utc
from app.services.rate_limit.shared import DEFAULT_PREFIX as RATE_LIMIT_PREFIX
from app.settings import Settings

__all__ = ["DASHBOARD", "ORG_METRICS", "ORG_SERIES", "run_dashboard_benchmark"]

FLOOR_SCRIPT = Path(__file__).with_name("floor_server.py")
# Per phase, far above what the requests take: only a hung client is stopped by it.
_PHASE_CAP_SECONDS = 600.0
# Alternating sub-phases of each measurement a ratio divides (see `_alternating`).
_PARTS = 3


def floor_command(port: int) -> list[str]:
    """The floor as a script of its own (`-P`: nothing of this package on its path)."""
    return [sys.executable, "-P", str(FLOOR_SCRIPT), "--host", "127.0.0.1", "--port", str(port)]


@dataclass(slots=True)
class _Run:
    """One run's fixed parts and what it collected."""

    options: DashboardBenchOptions
    datasets: dict[float, Dataset]
    servers: dict[str, Server]
    directory: Path
    progress: Callable[[str], None]
    phases: list[Phase]


def _check_options(options: DashboardBenchOptions) -> None:
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--database-url must name a PostgreSQL database")
    if options.rounds < 1 or options.requests < 1 or options.scale <= 0:
        raise ValueError("rounds and requests must be at least 1, the scale positive")
    if not options.connections or min(options.connections) < 1:
        raise ValueError("--connections must be positive numbers, e.g. 1,4")
    other = options.compare_scale
    if other is not None and (other <= 0 or other == options.scale):
        raise ValueError("--compare-scale must be positive and differ from --scale")


def _phase_result(
    round_: int, server: str, measurement: str, scale: float, connections: int, raw: dict[str, Any]
) -> Phase:
    answered = int(raw["answered"]) or 1
    seconds = float(raw["seconds"])
    return Phase(
        round=round_,
        server=server,
        measurement=measurement,
        scale=scale,
        connections=connections,
        requests=int(raw["requests"]),
        seconds=seconds,
        throughput=raw["requests"] / seconds if seconds > 0 else 0.0,
        p50_ms=raw["p50_ms"],
        p99_ms=raw["p99_ms"],
        server_cpu_ms_per_request=raw["server_cpu_seconds"] * 1000 / answered,
        database_cpu_ms_per_request=raw["database_cpu_seconds"] * 1000 / answered,
        errors=raw["errors"],
    )


async def _load(
    run: _Run, server: str, scale: float, connections: int, data: bytes, kind: str, requests: int
) -> dict[str, Any]:
    """`requests` timed requests from a client process of its own; its raw result."""
    target = run.servers[server]
    key = run.datasets[scale].key
    bodies = {"kind": kind, "plain": data.decode(), "persisted": "", "register": ""}
    plan = {
        "urls": [target.url],
        "pids": [target.process.pid],
        "database": run.options.database_url.rsplit("/", 1)[1],
        "key": key,
        "throttled_key": key,
        "mix": [bodies],
        "throttled": bodies,
    }
    path = run.directory / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    o = run.options
    arguments = [
        str(path),
        "--mode=plain",
        f"--clients={connections}",
        "--throttled-clients=0",
        f"--duration={_PHASE_CAP_SECONDS}",
        f"--warmup={o.warmup_seconds}",
        f"--timeout={o.timeout_seconds}",
        f"--requests={requests}",
    ]
    return await run_client(arguments, _PHASE_CAP_SECONDS + o.warmup_seconds + 60)


def _record(
    run: _Run,
    round_: int,
    server: str,
    measurement: str,
    scale: float,
    connections: int,
    raw: dict[str, Any],
) -> None:
    phase = _phase_result(round_, server, measurement, scale, connections, raw)
    run.phases.append(phase)
    run.progress(
        f"    {server:<5} x{scale:g} {measurement:<18} {connections} conn: "
        f"{phase.throughput:6.1f} req/s, p50 {phase.p50_ms or 0:6.1f} ms, "
        f"CPU {phase.server_cpu_ms_per_request or 0:6.2f} ms/req"
        + (f", errors {phase.errors}" if phase.errors else "")
    )


async def _phase(
    run: _Run,
    round_: int,
    server: str,
    measurement: str,
    scale: float,
    connections: int,
    data: bytes,
    factor: int = 1,
) -> None:
    """One phase of load (`factor` × the requests) from a client process of its own."""
    requests = run.options.requests * factor
    raw = await _load(run, server, scale, connections, data, measurement, requests)
    _record(run, round_, server, measurement, scale, connections, raw)


async def _alternating(
    run: _Run, round_: int, scale: float, measurements: dict[str, bytes], factor: int
) -> None:
    """Measurements whose CPU is divided, in `_PARTS` alternating sub-phases each: a burst of
    other work on the machine then falls on both sides alike instead of on one of them."""
    requests = max(1, run.options.requests * factor // _PARTS)
    parts: dict[str, list[dict[str, Any]]] = {name: [] for name in measurements}
    for _ in range(_PARTS):
        for measurement, data in measurements.items():
            raw = await _load(run, API, scale, 1, data, measurement, requests)
            parts[measurement].append(raw)
    for measurement, raws in parts.items():
        _record(run, round_, API, measurement, scale, 1, merged_results(raws))


async def _round(run: _Run, round_: int) -> None:
    """Dashboard on API and floor at each concurrency (who goes first alternates), then the
    organization's windows, then the other scale."""
    base = run.options.scale
    dashboard = body(DASHBOARD)
    for index, connections in enumerate(run.options.connections):
        order = (API, FLOOR) if (round_ + index) % 2 == 0 else (FLOOR, API)
        for server in order:
            await _phase(run, round_, server, DASHBOARD_MEASUREMENT, base, connections, dashboard)
    documents = {"org metrics": ORG_METRICS, "org series": ORG_SERIES}
    windows = org_windows(today_utc())
    factor = run.options.org_request_factor
    # 366 d and D7 (a ratio) alternate in sub-phases, who goes first alternating by round;
    # D90 (in no ratio) comes last.
    pair = ["D7", "366 d"] if round_ % 2 == 0 else ["366 d", "D7"]
    for kind, document in documents.items():
        measurements = {
            f"{kind} {label}": body(document, {"window": windows[label]}) for label in pair
        }
        await _alternating(run, round_, base, measurements, factor)
        data = body(document, {"window": windows["D90"]})
        await _phase(run, round_, API, f"{kind} D90", base, 1, data, factor)
    other = run.options.compare_scale
    if other:
        await _phase(run, round_, API, DASHBOARD_MEASUREMENT, other, 1, dashboard)
        for kind, document in documents.items():
            data = body(document, {"window": windows["D90"]})
            await _phase(run, round_, API, f"{kind} D90", other, 1, data, factor)


async def _measure(run: _Run) -> int:
    """Check the answers, then every round; the dashboard answer's size."""
    size = 0
    for scale, dataset in run.datasets.items():
        size = await compare_answers(
            run.servers[API].url, run.servers[FLOOR].url, dataset.key, run.options.timeout_seconds
        )
        run.progress(f"  x{scale:g}: the floor's answer is the API's, byte for byte")
    for round_ in range(run.options.rounds):
        run.progress(f"  round {round_ + 1} of {run.options.rounds} …")
        await _round(run, round_)
        dead = [name for name, s in run.servers.items() if s.process.returncode is not None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited during the load")
    return size


async def _forget(redis_url: str, datasets: dict[float, Dataset]) -> None:
    """Delete this run's rate-limit buckets from the shared Redis."""
    redis = Redis.from_url(redis_url)
    try:
        await redis.delete(*(f"{RATE_LIMIT_PREFIX}:{d.key_id}" for d in datasets.values()))
    finally:
        await redis.aclose()


def api_overrides(settings: tuple[str, ...]) -> dict[str, str]:
    """`NAME=VALUE` settings for the API process, as CREATORAUDIT_NAME environment variables."""
    overrides = {}
    for setting in settings:
        name, equals, value = setting.partition("=")
        if not equals or not name:
            raise ValueError(f"--api-setting wants NAME=VALUE, got {setting!r}")
        overrides[f"CREATORAUDIT_{name.upper()}"] = value
    return overrides


async def run_dashboard_benchmark(
    options: DashboardBenchOptions, progress: Callable[[str], None] = lambda _: None
) -> DashboardBenchReport:
    """Dataset, `creatoraudit serve` and the floor in processes of their own, rounds of load."""
    _check_options(options)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    load_average = list(os.getloadavg())
    url = options.database_url
    datasets = await prepare(url, options.scales, options.reuse, progress)
    env = deployment_env(url, options.redis_url)
    api_env = {**env, **api_overrides(options.api_settings)}
    limit = options.startup_timeout_seconds
    with tempfile.TemporaryDirectory(prefix="creatoraudit-bench-") as tmp:
        directory = Path(tmp)
        progress("Starting `creatoraudit serve` and the floor …")
        api = await start_server(api_env, directory, limit)
        try:
            floor = await start_server(env, directory, limit, floor_command, "floor")
            run = _Run(options, datasets, {API: api, FLOOR: floor}, directory, progress, [])
            try:
                size = await _measure(run)
            finally:
                await stop_server(floor)
                tail = api.log_tail() + floor.log_tail() if run.phases else []
        finally:
            await stop_server(api)
    progress("Counting the statements of one dashboard request …")
    # Warnings only: the access log of the two requests would interleave with the report. No
    # result cache: the counted request repeats the warm-up one and would be answered from it.
    settings = Settings(
        database_url=url,
        redis_url=options.redis_url,
        embedded_worker=False,
        log_level="WARNING",
        result_cache_bytes=0,
    )
    statements = await statements_per_dashboard(settings, datasets[options.scale].key)
    await _forget(options.redis_url, datasets)
    return DashboardBenchReport(
        options=options,
        date=datetime.now(UTC).date().isoformat(),
        datasets={scale: d.summary for scale, d in datasets.items()},
        answer_bytes=size,
        statements_per_dashboard=statements,
        phases=run.phases,
        load_average=load_average,
        log_tail=[line for line in tail if '"level":"INFO"' not in line][-20:],
    )
