"""`creatoraudit benchmark-import`: `creatoraudit import` against a raw COPY of the same rows."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncpg

from app.bench.import_data import HEADER, ImportData, write_import_csv
from app.bench.import_report import ImportBenchOptions, ImportBenchReport, Round, SqliteRun, Timed
from app.bench.load_servers import CREATORAUDIT, deployment_env
from app.db_admin import scratch_database
from app.importer.rows import PROFILE_COUNTS, VIDEO_COUNTS
from app.metrics.windows import today_utc

__all__ = ["COPY_TABLE", "SNAPSHOT_TABLES", "check_stored", "run_import_benchmark"]

SNAPSHOT_TABLES = ("account_snapshot", "video_snapshot")
COPY_TABLE = "import_rows"
_COUNTS = dict.fromkeys((*PROFILE_COUNTS, *VIDEO_COUNTS), "bigint")
_TYPES = {"published_at": "timestamptz", "date": "date"} | _COUNTS
# The file's columns, typed, in an unlogged table: what COPY parses and writes is what the
# import must parse and write at least.
COPY_DDL = (
    f"CREATE UNLOGGED TABLE {COPY_TABLE} ("
    + ", ".join(f"{name} {_TYPES.get(name, 'text')}" for name in HEADER)
    + ")"
)
# The baseline: a minimal program of its own (`-P`: nothing of this package on its path) that
# streams the file into the table with one COPY and prints the server's status ("COPY n").
_COPY_PROGRAM = """
import asyncio, sys
import asyncpg

async def main():
    conn = await asyncpg.connect(sys.argv[1])
    try:
        print(await conn.copy_to_table(
            sys.argv[3], source=sys.argv[2], format="csv", header=True
        ))
    finally:
        await conn.close()

asyncio.run(main())
"""


def _cli() -> list[str]:
    """The console script users run (or, from a source tree without it, the module)."""
    return [str(CREATORAUDIT)] if CREATORAUDIT.exists() else [sys.executable, "-m", "app.cli"]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def _run_timed(argv: list[str], env: dict[str, str] | None, log: Path) -> Timed:
    """Run a process to its end; wall seconds from spawn to exit and its own peak RSS.

    Interrupted (Ctrl-C, a cancelled run), it kills the process before giving up on it.
    """
    with log.open("wb") as output:
        started = time.perf_counter()
        # Not asyncio's subprocess: its child watcher reaps the process, and `wait4` (in a
        # thread) is what gives this child's own peak RSS. Spawning does not block for long.
        process = subprocess.Popen(  # noqa: ASYNC220
            argv, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            # This child's own rusage (`wait4`), not that of every child this process had.
            _, status, usage = await asyncio.to_thread(os.wait4, process.pid, 0)
        except BaseException:
            process.kill()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Timed(seconds, usage.ru_maxrss / 1024, process.returncode)


def _run_cli(arguments: list[str], env: dict[str, str]) -> str:
    """A `creatoraudit` command that must succeed; its standard output."""
    done = subprocess.run(
        [*_cli(), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        command = " ".join(arguments)
        raise RuntimeError(f"`creatoraudit {command}` failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _organization(env: dict[str, str]) -> str:
    """Migrate the database and create an organization through the CLI; the new id."""
    _run_cli(["migrate"], env)
    return _run_cli(["org", "create", "Import benchmark"], env).strip()


async def _import(env: dict[str, str], data: ImportData, log: Path) -> Timed:
    """`creatoraudit import --org ORG FILE` in a process of its own, into a new organization."""
    organization = await asyncio.to_thread(_organization, env)
    argv = [*_cli(), "import", "--org", organization, str(data.path)]
    ran = await _run_timed(argv, env, log)
    if ran.exit_code != 0:
        raise RuntimeError(
            f"`creatoraudit import` exited with code {ran.exit_code}; its output:\n{_tail(log)}"
        )
    return ran


async def _copy(url: str, data: ImportData, log: Path) -> Timed:
    """The baseline into a new empty unlogged table; checks that it holds every row."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        await conn.execute(COPY_DDL)
        argv = [sys.executable, "-P", "-c", _COPY_PROGRAM, url, str(data.path), COPY_TABLE]
        ran = await _run_timed(argv, None, log)
        if ran.exit_code != 0:
            raise RuntimeError(f"the COPY exited with code {ran.exit_code}:\n{_tail(log)}")
        copied = await conn.fetchval(f"SELECT count(*) FROM {COPY_TABLE}")
        await conn.execute(f"DROP TABLE {COPY_TABLE}")
    finally:
        await conn.close()
    if copied != data.rows:
        raise RuntimeError(f"the COPY stored {copied:,} rows of {data.rows:,}")
    return ran


async def _stored_postgres(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return sum([int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in SNAPSHOT_TABLES])
    finally:
        await conn.close()


def _stored_sqlite(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SNAPSHOT_TABLES)


def check_stored(engine: str, stored: int, data: ImportData) -> None:
    """Refuse to report a rate for an import that did not store every row."""
    if stored != data.rows:
        raise RuntimeError(
            f"the import into {engine} stored {stored:,} snapshot rows, the file has "
            f"{data.rows:,} distinct good (entity, date) rows: no ratio reported"
        )


async def _round(
    options: ImportBenchOptions,
    index: int,
    data: ImportData,
    copy_url: str,
    directory: Path,
    progress: Callable[[str], None],
) -> Round:
    """One COPY and one import (into a fresh database), who goes first alternating."""
    first = "copy" if index % 2 == 0 else "import"
    async with scratch_database(options.database_url, "creatoraudit_ibench") as url:
        env = deployment_env(url, None)
        timings: dict[str, Timed] = {}
        for side in ("copy", "import") if first == "copy" else ("import", "copy"):
            progress(f"  round {index + 1}: {side} of {data.rows:,} rows …")
            log = directory / f"{side}-{index + 1}.log"
            if side == "copy":
                timings[side] = await _copy(copy_url, data, log)
            else:
                timings[side] = await _import(env, data, log)
            progress(f"    {timings[side].seconds:.2f} s")
        stored = await _stored_postgres(url)
    check_stored("PostgreSQL", stored, data)
    copied, imported = timings["copy"], timings["import"]
    return Round(index + 1, first, copied.seconds, imported.seconds, imported.peak_rss_mb, stored)


async def _sqlite(
    options: ImportBenchOptions, directory: Path, data: ImportData, progress: Callable[[str], None]
) -> SqliteRun:
    """The same import into a new SQLite file."""
    progress(f"SQLite: importing {data.rows:,} rows …")
    path = directory / "import.sqlite3"
    ran = await _import(deployment_env(f"sqlite://{path}", None), data, directory / "sqlite.log")
    stored = await asyncio.to_thread(_stored_sqlite, path)
    check_stored("SQLite", stored, data)
    return SqliteRun(data.rows, ran.seconds, ran.peak_rss_mb, stored)


def _check_options(options: ImportBenchOptions) -> None:
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--database-url must be a PostgreSQL server URL")
    if options.rows < 1 or options.rounds < 1 or options.sqlite_rows < 0:
        raise ValueError("--rows and --rounds must be at least 1, --sqlite-rows at least 0")


async def run_import_benchmark(
    options: ImportBenchOptions, progress: Callable[[str], None] = lambda _: None
) -> ImportBenchReport:
    """Generate the file once; COPY it and import it in rounds; import a smaller one into SQLite."""
    _check_options(options)
    last_day = today_utc() - timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="creatoraudit-ibench-") as tmp:
        directory = Path(tmp)
        progress(f"Generating {options.rows:,} rows …")
        data = write_import_csv(directory / "import.csv", options.rows, options.seed, last_day)
        try:
            async with scratch_database(options.database_url, "creatoraudit_ibench_copy") as url:
                rounds = [
                    await _round(options, index, data, url, directory, progress)
                    for index in range(options.rounds)
                ]
        except asyncpg.PostgresError as exc:
            raise RuntimeError(f"PostgreSQL: {exc}") from exc
        sqlite = None
        if options.sqlite_rows:
            small = write_import_csv(
                directory / "sqlite.csv", options.sqlite_rows, options.seed, last_day
            )
            sqlite = await _sqlite(options, directory, small, progress)
        return ImportBenchReport(
            options=options,
            rows=data.rows,
            accounts=data.accounts,
            videos=data.videos,
            days=(data.last_day - data.first_day).days + 1,
            csv_mb=data.megabytes,
            rounds=rounds,
            sqlite=sqlite,
            notes=_notes(sqlite),
        )


def _notes(sqlite: SqliteRun | None) -> list[str]:
    notes = [
        "times are wall clock from spawn to exit of each process (the import's includes its "
        "start-up); COPY: one client-side COPY of the same file into an unlogged table",
    ]
    if sqlite is not None:
        notes.append(
            f"SQLite imports its own file of {sqlite.rows:,} rows (--sqlite-rows), generated "
            "the same way"
        )
    return notes
