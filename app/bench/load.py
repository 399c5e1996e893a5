"""`creatoraudit benchmark-load`: load two API servers; persisted vs plain, limiter on vs off."""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis
from tortoise import Tortoise
from tortoise.context import TortoiseContext

from app import db, models
from app.bench.dataset import DatasetReport, DatasetShape, generate
from app.bench.load_check import CheckResult, check_answers
from app.bench.load_documents import LoadRequest, build_mix, throttled_request
from app.bench.load_report import MODES, LoadBenchOptions, LoadBenchReport, PhaseResult
from app.bench.load_servers import Server, run_client, server_env, server_pair
from app.db_admin import scratch_database
from app.models import Scope
from app.services.api_keys import create_api_key
from app.services.query_registry import DEFAULT_PREFIX as APQ_PREFIX
from app.services.rate_limit.policy import MAX_POINTS
from app.services.rate_limit.shared import DEFAULT_PREFIX as RATE_LIMIT_PREFIX
from app.settings import Settings

# Ids read by the batch queries: enough for different batches in one cycle of the mix.
_ACCOUNT_IDS = 100
_VIDEO_IDS = 200


@dataclass(frozen=True, slots=True)
class Dataset:
    """The scratch database's content the load needs."""

    url: str
    report: DatasetReport
    key: str
    key_id: int
    throttled_key: str
    throttled_key_id: int
    throttled_org_id: int
    account_pks: list[int]
    video_pks: list[int]


def _shape(scale: float) -> DatasetShape:
    """Scale 1 is the dashboard benchmark's (100 creators × 10 accounts); fractions shrink it."""
    return DatasetShape(creators=max(1, round(100 * scale)))


async def _generate(url: str, scale: float) -> tuple[DatasetReport, list[int], list[int]]:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        report = await generate(connection, _shape(scale))
        accounts = await connection.fetch(
            "SELECT id FROM account WHERE organization_id = $1 ORDER BY id LIMIT $2",
            report.organization_id,
            _ACCOUNT_IDS,
        )
        # Spread over the whole table, not the first accounts' videos only.
        step = max(1, report.videos // _VIDEO_IDS)
        videos = await connection.fetch(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM video "
            "WHERE organization_id = $1) v WHERE n % $2 = 0 ORDER BY id LIMIT $3",
            report.organization_id,
            step,
            _VIDEO_IDS,
        )
        # Rate-limit buckets in the shared Redis are named by key id: ids far from those of
        # other scratch databases (tests, other benchmarks) keep the buckets apart.
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('api_key', 'id'), $1)",
            random.randrange(1_000_000_000, 2_000_000_000),
        )
    finally:
        await connection.close()
    return report, [r["id"] for r in accounts], [r["id"] for r in videos]


async def _prepare(url: str, scale: float) -> Dataset:
    """Dataset, a READ key whose ceiling the load never reaches, and a throttled key."""
    report, account_pks, video_pks = await _generate(url, scale)
    await models.Organization.filter(id=report.organization_id).update(
        rate_limit_ceiling=MAX_POINTS
    )
    # Its ceiling is set from the search's cost once the servers have said what it is.
    throttled = await models.Organization.create(name="Throttled", rate_limit_ceiling=1)
    key = await create_api_key(report.organization_id, "load", Scope.READ)
    slow = await create_api_key(throttled.id, "throttled", Scope.READ)
    return Dataset(
        url,
        report,
        key.secret,
        key.api_key.id,
        slow.secret,
        slow.api_key.id,
        throttled.id,
        account_pks,
        video_pks,
    )


def blocks(rounds: int) -> Iterator[tuple[int, bool, tuple[str, ...]]]:
    """(round, limiter, modes) in running order, alternated so no form or setting is always first.

    Round 0: on (persisted, plain), off (plain, persisted); round 1: off (plain, persisted),
    on (persisted, plain); … Consecutive blocks with the same setting share a server pair.
    """
    for round_ in range(rounds):
        settings = (True, False) if round_ % 2 == 0 else (False, True)
        for position, limiter in enumerate(settings):
            modes = MODES if (round_ + position) % 2 == 0 else MODES[::-1]
            yield round_, limiter, modes


@dataclass(frozen=True, slots=True)
class _Run:
    """One benchmark run's fixed parts."""

    options: LoadBenchOptions
    data: Dataset
    mix: list[LoadRequest]
    throttled: LoadRequest
    directory: Path
    progress: Callable[[str], None]


def _bodies(request: LoadRequest) -> dict[str, str]:
    return {
        "kind": request.kind,
        "plain": request.plain_body().decode(),
        "persisted": request.persisted_body().decode(),
        "register": request.register_body().decode(),
    }


def _write_plan(run: _Run, servers: list[Server]) -> Path:
    plan = {
        "urls": [s.url for s in servers],
        "pids": [s.process.pid for s in servers],
        "database": run.data.url.rsplit("/", 1)[1],
        "key": run.data.key,
        "throttled_key": run.data.throttled_key,
        "mix": [_bodies(r) for r in run.mix],
        "throttled": _bodies(run.throttled),
    }
    path = run.directory / f"plan-{servers[0].port}.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


async def _client(run: _Run, plan: Path, mode: str, limiter: bool) -> dict[str, Any]:
    """One phase of load from a separate process; its JSON line."""
    o = run.options
    arguments = [
        str(plan),
        f"--mode={mode}",
        f"--clients={o.clients}",
        f"--throttled-clients={o.throttled_clients}",
        f"--throttled-interval={o.throttled_interval_seconds}",
        f"--duration={o.duration_seconds}",
        f"--warmup={o.warmup_seconds}",
        f"--timeout={o.timeout_seconds}",
        *(["--expect-429"] if limiter else []),
    ]
    # The client stops by itself; the limit only guards against a hung process.
    limit = o.warmup_seconds + o.duration_seconds + 2 * o.timeout_seconds + 60
    return await run_client(arguments, limit)


def _per(value: float, count: float) -> float | None:
    return value / count if count > 0 else None


def _phase(round_: int, mode: str, limiter: bool, raw: dict[str, Any]) -> PhaseResult:
    seconds = float(raw["seconds"])
    # CPU is divided by the main key's requests. The throttled key's (at most one a second)
    # ride along: counting them would make the limiter look cheaper, its 429s costing ~nothing.
    answered = int(raw["answered"])
    server, database = float(raw["server_cpu_seconds"]), float(raw["database_cpu_seconds"])
    redis = float(raw["redis_cpu_seconds"])
    return PhaseResult(
        round=round_,
        mode=mode,
        limiter=limiter,
        requests=int(raw["requests"]),
        seconds=seconds,
        throughput=_per(raw["requests"], seconds) or 0.0,
        p50_ms=raw["p50_ms"],
        p99_ms=raw["p99_ms"],
        server_cpu_ms_per_request=_per(server * 1000, answered),
        server_cores_busy=_per(server, seconds),
        database_cpu_ms_per_request=_per(database * 1000, answered),
        database_cores_busy=_per(database, seconds),
        redis_cpu_ms_per_request=_per(redis * 1000, answered),
        redis_cores_busy=_per(redis, seconds),
        client_cores_busy=_per(raw["client_cpu_seconds"], seconds),
        machine_cores_busy=_per(raw["machine_cpu_seconds"], seconds),
        errors=raw["errors"],
        deliberate_429=int(raw["deliberate_429"]),
        throttled_requests=int(raw["throttled_requests"]),
        apq_registrations=int(raw["apq_registrations"]),
        bytes_received=int(raw["bytes_received"]),
        per_kind=raw["per_kind"],
    )


@dataclass(slots=True)
class _Progress:
    """What the run collected so far."""

    check: CheckResult
    phases: list[PhaseResult]
    starts: list[float]
    log_tail: list[str]


async def _block(
    run: _Run,
    servers: list[Server],
    round_: int,
    limiter: bool,
    modes: tuple[str, ...],
    got: _Progress,
) -> None:
    """The phases of one block, one client process each, on a running pair of servers."""
    plan = _write_plan(run, servers)
    for mode in modes:
        run.progress(f"  round {round_ + 1}: {mode}, limiter {'on' if limiter else 'off'} …")
        phase = _phase(round_, mode, limiter, await _client(run, plan, mode, limiter))
        got.phases.append(phase)
        run.progress(
            f"    {phase.requests} requests, {phase.throughput:.1f} req/s, p50 "
            f"{phase.p50_ms or 0:.1f} ms, {sum(phase.errors.values())} errors, "
            f"{phase.deliberate_429} deliberate 429s; other processes used "
            f"{phase.other_cores_busy or 0:.2f} cores"
        )
        dead = [s for s in servers if s.process.returncode is not None]
        if phase.errors or dead:
            got.log_tail = [line for s in servers for line in s.log_tail()]
        if dead:
            raise RuntimeError("an API process exited during the load:\n" + "\n".join(got.log_tail))


async def _set_throttled_budget(run: _Run, costs: dict[str, int]) -> None:
    cost = costs.get(run.throttled.kind, 1)
    ceiling = max(1, run.options.throttled_budget_requests * cost)
    await models.Organization.filter(id=run.data.throttled_org_id).update(
        rate_limit_ceiling=ceiling
    )


async def _measure(run: _Run) -> _Progress:
    """Every block of phases, each on a pair of servers started with its limiter setting."""
    got = _Progress(CheckResult(), [], [], [])
    schedule = list(blocks(run.options.rounds))
    index = 0
    while index < len(schedule):
        limiter = schedule[index][1]
        env = server_env(run.data.url, run.options.redis_url, limiter)
        run.progress(f"Starting two API processes, rate limiter {'on' if limiter else 'off'} …")
        async with server_pair(env, run.directory, run.options.startup_timeout_seconds) as servers:
            got.starts += [s.started_in for s in servers]
            # The check also warms both processes up (documents prepared, pools opened).
            await check_answers([s.url for s in servers], run.data.key, run.mix, got.check)
            if got.check.mismatches:
                return got  # timing answers that differ would compare different work
            if limiter:
                await _set_throttled_budget(run, got.check.costs)
            while index < len(schedule) and schedule[index][1] == limiter:
                round_, _, modes = schedule[index]
                await _block(run, servers, round_, limiter, modes, got)
                index += 1
    return got


async def _forget(redis_url: str, run: _Run) -> None:
    """Delete the run's APQ registrations and rate-limit buckets from the shared Redis."""
    redis = Redis.from_url(redis_url)
    try:
        hashes = {r.sha256 for r in [*run.mix, run.throttled]}
        await redis.delete(
            *(APQ_PREFIX + h for h in hashes),
            *(f"{RATE_LIMIT_PREFIX}:{i}" for i in (run.data.key_id, run.data.throttled_key_id)),
        )
    finally:
        await redis.aclose()


def _check_options(options: LoadBenchOptions) -> None:
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--database-url must be a PostgreSQL server URL")
    if options.duration_seconds <= 0 or options.rounds < 1 or options.scale <= 0:
        raise ValueError("duration, rounds and scale must be positive")
    if not 0 <= options.throttled_clients < options.clients:
        raise ValueError("--clients must exceed the throttled clients")


async def run_load_benchmark(
    options: LoadBenchOptions, progress: Callable[[str], None] = lambda _: None
) -> LoadBenchReport:
    """Scratch database and dataset, two servers per limiter setting, phases of load."""
    _check_options(options)
    # httpx logs every request of the check and the health polls at INFO: progress drowns.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    load_average = list(os.getloadavg())
    run_id = uuid.uuid4().hex[:12]
    with tempfile.TemporaryDirectory(prefix="creatoraudit-lbench-") as tmp:
        async with scratch_database(options.database_url, "creatoraudit_lbench") as url:
            settings = Settings(database_url=url)
            progress(f"Database {db.describe(settings)}: migrating, generating the dataset …")
            # A context of its own: Tortoise state already set up in this process (the tests'
            # app) is neither used nor closed.
            async with TortoiseContext():
                await db.migrate(settings)
                await Tortoise.init(config=db.tortoise_config(settings))
                data = await _prepare(url, options.scale)
                progress(
                    f"  {data.report.accounts:,} accounts, {data.report.videos:,} videos, "
                    f"{data.report.snapshots:,} snapshots in {data.report.seconds:.0f} s"
                )
                mix = build_mix(run_id, data.account_pks, data.video_pks)
                run = _Run(options, data, mix, throttled_request(run_id), Path(tmp), progress)
                try:
                    got = await _measure(run)
                finally:
                    await _forget(options.redis_url, run)
    return _report(run, got, load_average)


def _report(run: _Run, got: _Progress, load_average: list[float]) -> LoadBenchReport:
    shares: dict[str, int] = {}
    for request in run.mix:
        shares[request.kind] = shares.get(request.kind, 0) + 1
    return LoadBenchReport(
        options=run.options,
        accounts=run.data.report.accounts,
        videos=run.data.report.videos,
        dataset_seconds=run.data.report.seconds,
        documents=shares,
        costs=got.check.costs,
        answers_checked=got.check.checked,
        answer_mismatches=got.check.mismatches,
        apq_registered_by_check=got.check.registered,
        phases=got.phases,
        server_start_seconds=got.starts,
        load_average=load_average,
        log_tail=got.log_tail,
    )
