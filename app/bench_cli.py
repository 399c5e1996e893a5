"""The `creatoraudit benchmark*` commands: what they accept and how they report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeAlias, TypeVar

from app.settings import Settings, WorkerSettings


class _Report(Protocol):
    @property
    def ok(self) -> bool: ...


R = TypeVar("R", bound=_Report)
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _progress(message: str) -> None:
    print(message, flush=True)


def _report(
    run: Coroutine[Any, Any, R], text: Callable[[R], str], json_line: Callable[[R], str]
) -> int:
    """Run a benchmark; print its table and JSON line. Exit 0 ok, 1 not ok, 2 could not run."""
    from redis.exceptions import RedisError

    try:
        report = asyncio.run(run)
    except (RuntimeError, ValueError, OSError, RedisError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text(report))
    print(json_line(report))
    return 0 if report.ok else 1


def _connections(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"connections must be positive: {text!r}")
    return values


def cmd_benchmark(settings: Settings, args: argparse.Namespace) -> int:
    """Generate the benchmark dataset into PostgreSQL and measure the API against its floor."""
    from app.bench.dashboard_report import DashboardBenchOptions, format_report, report_json
    from app.bench.run import run_dashboard_benchmark

    options = DashboardBenchOptions(
        scale=args.scale,
        compare_scale=args.compare_scale,
        rounds=args.rounds,
        requests=args.requests,
        connections=args.connections,
        reuse=args.reuse,
        database_url=args.database_url,
        redis_url=args.redis_url,
        api_settings=tuple(args.api_setting),
    )
    return _report(run_dashboard_benchmark(options, progress=_progress), format_report, report_json)


def cmd_benchmark_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run one worker against the simulator under a budget and print what it achieved."""
    from app.bench.worker import run_worker_benchmark
    from app.bench.worker_report import WorkerBenchOptions, format_report, report_json

    options = WorkerBenchOptions(
        accounts=args.accounts,
        budget=args.budget,
        window_seconds=args.window,
        latency_ms=args.latency_ms,
        max_jobs=args.max_jobs,
        duration_cap_seconds=args.duration_cap,
        database_url=args.database_url,
        redis_url=args.redis_url or settings.redis_url or "redis://127.0.0.1:6379",
    )
    return _report(run_worker_benchmark(options, progress=_progress), format_report, report_json)


def cmd_benchmark_load(settings: Settings, args: argparse.Namespace) -> int:
    """Load two API processes from a client process and print throughput, latency and CPU."""
    from app.bench.load import run_load_benchmark
    from app.bench.load_report import LoadBenchOptions, format_report, report_json

    options = LoadBenchOptions(
        duration_seconds=args.duration,
        clients=args.clients,
        rounds=args.rounds,
        scale=args.scale,
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    return _report(run_load_benchmark(options, progress=_progress), format_report, report_json)


def cmd_benchmark_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a generated file with `creatoraudit import` and COPY it, side by side."""
    from app.bench.import_bench import run_import_benchmark
    from app.bench.import_report import ImportBenchOptions, format_report, report_json

    options = ImportBenchOptions(
        rows=args.rows,
        sqlite_rows=args.sqlite_rows,
        rounds=args.rounds,
        seed=args.seed,
        database_url=args.database_url,
    )
    return _report(run_import_benchmark(options, progress=_progress), format_report, report_json)


def cmd_benchmark_limits(settings: Settings, args: argparse.Namespace) -> int:
    """Time the worst documents the limits admit through the endpoint's work before executing."""
    from app.bench.limits_timing import format_report, run_benchmark, within_target
    from app.collector import tune_collector

    progress = (lambda m: print(m, flush=True)) if args.verbose else (lambda _: None)
    # As `serve` does after start-up: the schema and modules frozen, the same young threshold.
    tune_collector(settings.collector)
    admitted, refused = run_benchmark(settings.limits, args.runs, progress)
    print(format_report(admitted, refused, settings.limits))
    return 0 if within_target(admitted) else 1


def add_limits_benchmark_parser(sub: Subparsers) -> None:
    """`creatoraudit benchmark-limits`: the request limits against the 50 ms target."""
    limits = sub.add_parser(
        "benchmark-limits",
        help="time the worst documents the request limits admit, through everything the "
        "endpoint does before executing them",
        description="For each family of hostile documents (repeated fields, fragments, bombs, "
        "deep trees, aliases, directives, arguments, long lists, variables, introspection, "
        "several operations), builds the largest one the limits (CREATORAUDIT_LIMITS__*) admit, "
        "pads it with a unique comment to the body limit, and times what the endpoint does with "
        "such a POST before executing it (JSON body, SHA-256, parse, measure, validate, literal "
        "scan, operation, variables, cost) over repeated runs (CPU and wall). Then times "
        "refused documents to their refusal. "
        "Exit code 0: every run within 50 ms of CPU; 1: not.",
    )
    limits.add_argument("--runs", type=int, default=15, help="runs per document (%(default)s)")
    limits.add_argument("--verbose", action="store_true", help="print each family's size")
    limits.set_defaults(func=cmd_benchmark_limits)


def add_benchmark_parsers(sub: Subparsers) -> None:
    """Every `benchmark*` command."""
    bench = sub.add_parser(
        "benchmark",
        help="generate a dataset into PostgreSQL and measure the dashboard against its floor",
        description="Generates the dataset (420 days with gaps) into the database, starts "
        "`creatoraudit serve` and a minimal floor (Starlette + asyncpg + orjson, one statement) "
        "as processes of their own, checks that both answer the dashboard byte for byte, then "
        "loads each from a separate client process in interleaved rounds and reports server CPU "
        "per request, requests/s, p50 and p99 as min / median / max of the per-round ratios. "
        "Prints a table and one JSON line. Exit code 0: no failed request; 1: failed requests; "
        "2: the run could not start or the answers differ.",
    )
    bench.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/creatoraudit_bench",
        help="a PostgreSQL database to drop and recreate (default: %(default)s)",
    )
    bench.add_argument(
        "--scale",
        type=float,
        default=1,
        help="dataset size: 1 = 1,000 accounts, 20,000 videos; fractions shrink it (%(default)s)",
    )
    bench.add_argument(
        "--compare-scale", type=float, help="also generate this scale and compare the CPU costs"
    )
    bench.add_argument("--rounds", type=int, default=5, help="interleaved rounds (%(default)s)")
    bench.add_argument(
        "--requests", type=int, default=60, help="timed requests per phase and round (%(default)s)"
    )
    bench.add_argument(
        "--connections",
        type=_connections,
        default=(1, 4),
        help="concurrent keep-alive connections for the dashboard, comma-separated (1,4)",
    )
    bench.add_argument(
        "--reuse", action="store_true", help="reuse a dataset generated by an earlier run"
    )
    bench.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379", help="the API's Redis (%(default)s)"
    )
    bench.add_argument(
        "--api-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the API process only, without the CREATORAUDIT_ prefix (repeatable), "
        "e.g. COLLECTOR__FREEZE=false to measure a setting both ways",
    )
    bench.set_defaults(func=cmd_benchmark)

    wbench = sub.add_parser(
        "benchmark-worker",
        help="run one worker against the simulator under a request budget and measure it",
        description="Creates a fresh database tracking N simulator accounts (half Instagram, "
        "half TikTok), makes them all due, runs one `creatoraudit worker` process until every "
        "account is refreshed, and prints refreshes/s, the budget used per window (as the "
        "simulator counted the requests), due-to-done latency and the worker's memory. Exit "
        "code 0: all refreshed within the budget; 1: not; 2: the run could not start.",
    )
    wbench.add_argument("--accounts", type=int, default=300, help="default: %(default)s")
    wbench.add_argument(
        "--budget", type=int, default=50, help="requests per window, each platform (%(default)s)"
    )
    wbench.add_argument(
        "--window", type=float, default=5.0, help="budget window in seconds (%(default)s)"
    )
    wbench.add_argument(
        "--latency-ms", type=float, default=50.0, help="simulated upstream latency (%(default)s)"
    )
    wbench.add_argument(
        "--max-jobs",
        type=int,
        default=WorkerSettings().max_jobs,
        help="worker concurrency (default: the worker's, %(default)s)",
    )
    wbench.add_argument(
        "--duration-cap", type=float, default=300.0, help="give up after this many seconds"
    )
    wbench.add_argument(
        "--database-url",
        help="a PostgreSQL server URL: a uniquely named database is created on it and dropped "
        "afterwards (default: a temporary SQLite file)",
    )
    wbench.add_argument(
        "--redis-url", help="default: CREATORAUDIT_REDIS_URL, else redis://127.0.0.1:6379"
    )
    wbench.set_defaults(func=cmd_benchmark_worker)

    lbench = sub.add_parser(
        "benchmark-load",
        help="load two API processes and measure persisted vs plain, rate limiter on vs off",
        description="Creates a scratch PostgreSQL database with the benchmark dataset, starts "
        "two `creatoraudit serve` processes sharing Redis, and loads them from a separate "
        "client process: persisted (APQ hash) and plain requests, then both again with the "
        "rate limiter off. Prints a table and one JSON line. Exit code 0: no errors; 1: errors, "
        "different answers or no deliberate 429; 2: the run could not start.",
    )
    lbench.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    lbench.add_argument("--clients", type=int, default=50, help="concurrent clients")
    lbench.add_argument("--rounds", type=int, default=1, help="repeat, alternating the order")
    lbench.add_argument(
        "--scale", type=float, default=0.2, help="dataset size, 1 = 1,000 accounts (%(default)s)"
    )
    lbench.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server: a scratch database is created on it and dropped afterwards",
    )
    lbench.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379", help="the Redis both servers share"
    )
    lbench.set_defaults(func=cmd_benchmark_load)
    add_limits_benchmark_parser(sub)
    add_import_benchmark_parser(sub)


def add_import_benchmark_parser(sub: Subparsers) -> None:
    """`creatoraudit benchmark-import`: the import against a raw COPY of the same rows."""
    ibench = sub.add_parser(
        "benchmark-import",
        help="time `creatoraudit import` against a raw COPY of the same rows (PostgreSQL), "
        "and SQLite's import rate",
        description="Generates an import CSV (accounts with daily rows over a year, videos "
        "with a few months to a year of daily rows each, counts growing; the same seed, the "
        "same file), then in interleaved rounds COPYs it into an unlogged table (a minimal "
        "asyncpg program of its own) and runs `creatoraudit import` on it into a fresh, "
        "migrated scratch database, as processes of their own. Checks that the import stored "
        "one snapshot row per row of the file, then imports a file of --sqlite-rows into "
        "SQLite. Prints a table and one JSON line. Exit code 0: import ≤ 3× COPY (median); "
        "1: above; 2: the run could not run or the import did not store every row.",
    )
    ibench.add_argument(
        "--rows", type=int, default=1_000_000, help="rows of the file (%(default)s)"
    )
    ibench.add_argument(
        "--sqlite-rows",
        type=int,
        default=200_000,
        help="rows of the SQLite run's file, 0 for none (%(default)s)",
    )
    ibench.add_argument("--rounds", type=int, default=1, help="interleaved rounds (%(default)s)")
    ibench.add_argument("--seed", type=int, default=7, help="same seed, same file (%(default)s)")
    ibench.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server: scratch databases are created on it and dropped afterwards "
        "(default: %(default)s)",
    )
    ibench.set_defaults(func=cmd_benchmark_import)
