"""The `creatoraudit` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError
from tortoise import Tortoise

from app import db
from app.access_cli import add_persisted_only_parsers
from app.bench_cli import add_benchmark_parsers
from app.logs import configure_logging
from app.models import Scope
from app.observability.multiproc import prepare as prepare_metrics
from app.preflight import StartupError
from app.preflight.config import settings_errors
from app.settings import Settings


async def _with_orm(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    await Tortoise.init(config=db.tortoise_config(settings))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply pending migrations."""
    asyncio.run(db.migrate(settings))
    print(f"migrations applied to {db.describe(settings)}")
    return 0


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    """Write a migration for model changes (developers only); --check only reports them."""
    if args.check:
        pending = asyncio.run(db.pending_model_changes(settings))
        if pending:
            print("models differ from the migrations; run `creatoraudit makemigrations`:")
            print("\n".join(f"  {name}" for name in pending))
            return 1
        print("migrations match the models")
        return 0
    asyncio.run(db.makemigrations(settings, args.name))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run the API with uvicorn, once the port, the database and Redis are usable."""
    # Before anything imports prometheus-client: it picks where values live at import.
    prepare_metrics(settings.metrics.multiproc_dir)
    from app.serving import serve

    serve(settings, args.host or settings.host, args.port or settings.port)
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Check configuration, database, migrations, Redis, the queue and the platforms.

    `main` runs the doctor before reading the settings itself (bad settings are checks too);
    this is the same command for callers that already hold settings.
    """
    from app.doctor import run_doctor

    return run_doctor(print, lambda: settings)


def cmd_org_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create an organization and print its id."""
    from app.services import organizations

    async def work() -> int:
        try:
            org = await organizations.create_organization(args.name)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        # The id alone on stdout, for scripts: ORG=$(creatoraudit org create Acme)
        print(f"organization {org.id} {org.name!r} created", file=sys.stderr)
        print(org.id)
        return 0

    return asyncio.run(_with_orm(settings, work))


def cmd_org_rate_limit(settings: Settings, args: argparse.Namespace) -> int:
    """Set an organization's rate-limit ceiling and/or points, then print the limit in force."""
    from app import models
    from app.services import rate_limit

    keep = rate_limit.Keep.KEEP
    ceiling = None if args.no_ceiling else keep if args.ceiling is None else args.ceiling
    points = None if args.default_points else keep if args.points is None else args.points

    async def work() -> int:
        org = await models.Organization.filter(id=args.org_id).first()
        if org is None:
            print(f"error: no organization {args.org_id}", file=sys.stderr)
            return 2
        try:
            policy = await rate_limit.set_operator_limits(
                org, settings, ceiling=ceiling, points=points
            )
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(rate_limit.describe_policy(org, policy))
        return 0

    return asyncio.run(_with_orm(settings, work))


def cmd_key_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create an API key and print it (the only time it is shown)."""
    from app import models
    from app.services.api_keys import create_api_key

    async def work() -> int:
        if not await models.Organization.filter(id=args.org).exists():
            print(f"error: no organization {args.org}", file=sys.stderr)
            return 2
        issued = await create_api_key(
            args.org, args.name, Scope[args.scope], persisted_queries_only=args.persisted_only
        )
        only = ", persisted-only" if args.persisted_only else ""
        # Only the key on stdout: `KEY=$(creatoraudit key create …)` captures just the key.
        print(
            f"key {issued.api_key.id} ({args.scope}{only}) for organization {args.org}:",
            file=sys.stderr,
        )
        print(issued.secret)
        return 0

    return asyncio.run(_with_orm(settings, work))


def cmd_key_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke an API key by its numeric id."""
    from app import models
    from app.services.api_keys import revoke_api_key

    async def work() -> int:
        key = await models.ApiKey.filter(id=args.key_id).first()
        if key is None:
            print(f"error: no API key {args.key_id}", file=sys.stderr)
            return 2
        await revoke_api_key(key)
        print(f"key {key.id} revoked")
        return 0

    return asyncio.run(_with_orm(settings, work))


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Simulator + demo organization with 90 days of history + API, in one process."""
    from app.demo_runner import SIMULATOR_PORT, run_demo

    host = args.host or settings.host
    port = args.port or settings.port
    asyncio.run(run_demo(settings, host, port, args.simulator_port or SIMULATOR_PORT))
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import historical snapshots from a CSV or NDJSON file (exit 0 all good, 1 some bad)."""
    from app.importer import (
        ImportFailed,
        ImportUsageError,
        TerminalProgress,
        format_summary,
        import_file,
    )

    async def work() -> int:
        progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
        importing = import_file(
            args.org,
            Path(args.file),
            fmt=args.format,
            errors_path=Path(args.errors) if args.errors else None,
            progress=progress,
        )
        try:
            # A task of its own: on Ctrl-C its cancelled transaction stays in its own context,
            # and closing the connections afterwards works.
            report = await asyncio.create_task(importing)
        except ImportUsageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except ImportFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        print(format_summary(report, args.file, args.org))
        return report.exit_code

    try:
        return asyncio.run(_with_orm(settings, work))
    except KeyboardInterrupt:
        print("\ninterrupted: importing the same file again is safe", file=sys.stderr)
        return 130


def cmd_documents_load(settings: Settings, args: argparse.Namespace) -> int:
    """Load a trusted-document manifest (Apollo persisted query list or Relay map)."""
    from app.documents_cli import load_manifest

    return asyncio.run(_with_orm(settings, lambda: load_manifest(settings, args.file, args.source)))


def cmd_documents_list(settings: Settings, args: argparse.Namespace) -> int:
    """List trusted documents."""
    from app.documents_cli import list_documents

    return asyncio.run(_with_orm(settings, lambda: list_documents(args.source)))


def cmd_documents_remove(settings: Settings, args: argparse.Namespace) -> int:
    """Remove trusted documents by id or by source."""
    from app.documents_cli import remove_documents

    return asyncio.run(_with_orm(settings, lambda: remove_documents(args.ids, args.source)))


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> int:
    """Print or write the GraphQL SDL."""
    from app.graphql.schema import schema

    text = schema.as_str() + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run the arq refresh worker against CREATORAUDIT_REDIS_URL, or check it can run."""
    if not settings.redis_url:
        print(
            "error: the worker needs Redis — set CREATORAUDIT_REDIS_URL "
            "(e.g. redis://127.0.0.1:6379/0), or run only `serve`, which refreshes in-process",
            file=sys.stderr,
        )
        return 1
    if args.check:
        from app.doctor import worker_health

        return worker_health(settings, print)
    prepare_metrics(settings.metrics.multiproc_dir)  # before prometheus-client is imported
    from app.preflight.startup import require_dependencies
    from app.worker.runner import run

    require_dependencies(settings)
    run(settings)
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the Instagram and TikTok simulator."""
    from app.simulator.app import run

    print(f"platform simulator on http://{args.host}:{args.port} (seed {args.seed})")
    print(f"  Instagram: http://{args.host}:{args.port}/instagram")
    print(f"  TikTok:    http://{args.host}:{args.port}/tiktok")
    run(args.host, args.port, args.seed)
    return 0


def add_documents_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`creatoraudit documents load|list|remove`: trusted documents for persisted-only clients."""
    documents = sub.add_parser("documents", help="trusted (persisted) documents").add_subparsers(
        dest="action", required=True
    )
    load = documents.add_parser(
        "load",
        help="load a manifest: Apollo's persisted query list or Relay's {id: text} map",
        description="Every document is parsed, checked against the limits and validated "
        "against the schema first; nothing is stored unless all are valid and no id is "
        "already stored with another text. Exit code 0: loaded; 1: id conflicts; 2: invalid "
        "file or documents.",
    )
    load.add_argument("file", metavar="FILE", help="the manifest (JSON)")
    load.add_argument("--source", help="a label kept with each document (default: file name)")
    load.set_defaults(func=cmd_documents_load)
    listing = documents.add_parser("list", help="list trusted documents")
    listing.add_argument("--source", help="only the documents loaded with this label")
    listing.set_defaults(func=cmd_documents_list)
    remove = documents.add_parser(
        "remove", help="remove trusted documents (API processes forget them within a minute)"
    )
    remove.add_argument("ids", nargs="*", metavar="ID", help="document ids to remove")
    remove.add_argument("--source", help="remove every document loaded with this source")
    remove.set_defaults(func=cmd_documents_remove)


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port of `serve` and `demo`."""
    parser.add_argument(
        "--host", help="address to listen on (default: CREATORAUDIT_HOST, else 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, help="port (default: CREATORAUDIT_PORT, else 8000)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="creatoraudit",
        description="CreatorAudit: a GraphQL API over the public engagement of Instagram and "
        "TikTok profiles and posts. Settings come from CREATORAUDIT_* environment variables "
        "(README: Configuration); `creatoraudit doctor` checks them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the API",
        description="Checks the port, the database (reachable, migrations applied) and Redis "
        "(when CREATORAUDIT_REDIS_URL is set), then serves /graphql, /healthz and /readyz. "
        "Without Redis it also refreshes accounts in-process. Exit code 1 with one line "
        "saying what to fix when something it needs is missing.",
    )
    add_listen_arguments(serve)
    serve.set_defaults(func=cmd_serve)

    demo_parser = sub.add_parser("demo", help="run the API on the embedded default with demo data")
    add_listen_arguments(demo_parser)
    demo_parser.add_argument(
        "--simulator-port", type=int, help="port of the platform simulator (default 9000)"
    )
    demo_parser.set_defaults(func=cmd_demo)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    doctor = sub.add_parser(
        "doctor",
        help="check settings, database, migrations, Redis, the queue and the platforms",
        description="Prints one line per check, OK or FAIL with what to fix: the settings "
        "parse, the database answers and its migrations are applied, Redis answers PING and "
        "the arq queue key is usable (when CREATORAUDIT_REDIS_URL is set), the Instagram and "
        "TikTok base URLs answer HTTP. Exit code 0: all passed; 1: a check failed.",
    )
    doctor.set_defaults(func=cmd_doctor)

    make = sub.add_parser("makemigrations", help="write a migration for model changes")
    make.add_argument("--name", help="the migration's name (default: generated)")
    make.add_argument("--check", action="store_true", help="fail if a migration is missing")
    make.set_defaults(func=cmd_makemigrations)

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True)
    org_create = org.add_parser("create", help="create an organization")
    org_create.add_argument("name", help="1–200 characters; prints the new id alone on stdout")
    org_create.set_defaults(func=cmd_org_create)
    org_rate = org.add_parser(
        "rate-limit",
        help="set or show an organization's rate limit (cost points per API key and window)",
        description="The organization's own choice (setRateLimit, or --points here) applies, "
        "capped at its ceiling; without a choice, the ceiling; without a ceiling, the "
        "deployment default (CREATORAUDIT_RATE_LIMIT__POINTS). Organizations may choose any "
        "limit up to their ceiling. Prints the limit in force.",
    )
    org_rate.add_argument("org_id", type=int, metavar="ORG_ID", help="organization id")
    ceiling = org_rate.add_mutually_exclusive_group()
    ceiling.add_argument("--ceiling", type=int, metavar="N", help="the most it may choose")
    ceiling.add_argument("--no-ceiling", action="store_true", help="back to the default")
    points = org_rate.add_mutually_exclusive_group()
    points.add_argument("--points", type=int, metavar="N", help="set its limit for it")
    points.add_argument(
        "--default-points", action="store_true", help="drop its choice: the ceiling applies"
    )
    org_rate.set_defaults(func=cmd_org_rate_limit)

    key = sub.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    key_create = key.add_parser("create", help="create an API key and print it once")
    key_create.add_argument("--org", type=int, required=True, help="organization id")
    key_create.add_argument("--name", default="cli", help="a label for the key (%(default)s)")
    key_create.add_argument(
        "--scope",
        choices=[s.name for s in Scope],
        default="READ",
        help="READ: queries; WRITE: and mutations; ADMIN: and API keys (%(default)s)",
    )
    key_create.add_argument(
        "--persisted-only",
        action="store_true",
        help="the key runs only trusted documents (`documents load`)",
    )
    key_create.set_defaults(func=cmd_key_create)
    key_revoke = key.add_parser("revoke", help="revoke an API key")
    key_revoke.add_argument("key_id", type=int, help="the numeric id `key create` printed")
    key_revoke.set_defaults(func=cmd_key_revoke)
    add_persisted_only_parsers(org, key)

    backfill = sub.add_parser(
        "import",
        help="import historical snapshots (CSV or NDJSON)",
        description="Create missing accounts and videos and record their snapshots, one row "
        "per entity and date. Exit code 0: every row imported; 1: bad rows skipped (the good "
        "ones imported); 2: nothing imported (unknown organization, unreadable file, bad header).",
    )
    backfill.add_argument("--org", type=int, required=True, help="organization id")
    backfill.add_argument(
        "--format",
        choices=["csv", "ndjson"],
        help="default: from the extension (.csv, .ndjson, .jsonl)",
    )
    backfill.add_argument("--errors", metavar="ERRORS", help="write every bad row to this CSV file")
    backfill.add_argument("file", metavar="FILE", help="the CSV or NDJSON file")
    backfill.set_defaults(func=cmd_import)

    worker = sub.add_parser(
        "worker",
        help="run the refresh worker (needs Redis)",
        description="Runs the arq worker on CREATORAUDIT_REDIS_URL: account and video "
        "refreshes, and the schedule that finds what is due. Checks the database and Redis "
        "first (exit code 1 with one line saying what to fix).",
    )
    worker.add_argument(
        "--check",
        action="store_true",
        help="instead of running: exit 0 if this host's worker recorded its health in Redis "
        "within the last 16 s (it does every 15 s), 1 if not — a container health check",
    )
    worker.set_defaults(func=cmd_worker)

    simulate = sub.add_parser("simulate", help="run the Instagram/TikTok platform simulator")
    simulate.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    simulate.add_argument("--port", type=int, default=9000, help="port (%(default)s)")
    simulate.add_argument("--seed", type=int, default=7, help="same seed, same data")
    simulate.set_defaults(func=cmd_simulate)

    add_benchmark_parsers(sub)

    add_documents_parser(sub)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", help="write to this file instead of stdout")
    export.set_defaults(func=cmd_export_schema)
    return parser


def _version() -> str:
    try:
        return metadata.version("creatoraudit")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `creatoraudit` console script."""
    args = build_parser().parse_args(argv)
    if args.func is cmd_doctor:  # reports bad settings itself, one line each
        configure_logging(Settings.model_construct())
        from app.doctor import run_doctor

        return run_doctor(print)
    try:
        settings = Settings()
    except ValidationError as exc:
        for line in settings_errors(exc):
            print(f"error: {line}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        code: int = args.func(settings, args)
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
