"""Can the configured database be reached, and are its migrations applied?"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.exceptions import ConfigurationError
from tortoise.migrations.executor import MigrationExecutor

from app import db
from app.preflight.check import Check
from app.settings import Settings

NAME = "database"
SETTING = "CREATORAUDIT_DATABASE_URL"
CONNECT_TIMEOUT = 5.0
# What the installed drivers speak: asyncpg and aiosqlite.
SCHEMES = ("postgres", "postgresql", "asyncpg", "sqlite")
EXAMPLES = "postgres://USER:PASSWORD@HOST:5432/DBNAME or sqlite://PATH"


def parse_check(settings: Settings) -> Check | None:
    """A failed check when the URL cannot be used at all; None when it parses."""
    url = settings.database_url
    scheme, separator, _ = url.partition("://")
    if not separator:
        reason = "not a URL"
    elif scheme not in SCHEMES:
        reason = f"unknown scheme {scheme!r}"
    else:
        try:
            expand_db_url(url)
            return None
        except (ConfigurationError, ValueError) as exc:
            reason = str(exc)
    return Check(NAME, False, f"{SETTING} is not a usable URL ({reason})", f"use {EXAMPLES}")


def _where(settings: Settings) -> tuple[str, str, str, str]:
    parts = urlsplit(settings.database_url)
    host = parts.hostname or "localhost"
    port = str(parts.port or 5432)
    return host, port, parts.username or "postgres", parts.path.lstrip("/")


def _explain_postgres(exc: BaseException, settings: Settings) -> tuple[str, str] | None:
    host, port, user, name = _where(settings)
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return (
            f"password authentication failed for user {user!r}",
            f"check the password in {SETTING}",
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return (
            f"database {name!r} does not exist on {host}:{port}",
            f"create it (createdb -h {host} -p {port} -U {user} {name}) or fix the name in "
            f"{SETTING}",
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL refused user {user!r}: {exc}", f"check the user name in {SETTING}"
    if isinstance(exc, asyncpg.PostgresError):
        return f"PostgreSQL refused the connection: {exc}", f"check {SETTING}"
    if isinstance(exc, socket.gaierror):
        return f"unknown host {host!r}", f"check the host name in {SETTING}"
    if isinstance(exc, OSError):
        return (
            f"cannot connect to {host}:{port} ({exc.strerror or exc})",
            f"is PostgreSQL running and listening there? check the host and port in {SETTING}",
        )
    return None


def explain(exc: BaseException, settings: Settings) -> tuple[str, str]:
    """(what is wrong, what to do) for an exception raised while connecting."""
    if isinstance(exc, TimeoutError):
        host, port, _, _ = _where(settings)
        return (
            f"no answer from {host}:{port} within {CONNECT_TIMEOUT:.0f} s",
            f"check the host, the port and any firewall in between ({SETTING})",
        )
    # Tortoise wraps the driver's error: the deepest cause says the most.
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for cause in reversed(chain):
        if isinstance(cause, sqlite3.Error):
            path = settings.database_url.partition("://")[2]
            return (
                f"cannot open the SQLite file {path!r} ({cause})",
                f"does its directory exist, and may this user write there? ({SETTING})",
            )
        explained = _explain_postgres(cause, settings)
        if explained is not None:
            return explained
    return f"cannot use the database: {type(exc).__name__}: {exc}", f"check {SETTING}"


def _sqlite_check(settings: Settings) -> Check | None:
    """Open a SQLite file with the standard library first: when aiosqlite fails to open one,
    its thread outlives the event loop and prints a traceback at exit."""
    if not settings.is_sqlite:
        return None
    path = expand_db_url(settings.database_url)["credentials"]["file_path"]
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as exc:
        detail, fix = explain(exc, settings)
        return Check(NAME, False, f"{db.describe(settings)}: {detail}", fix)
    return None


async def _pending_migrations(settings: Settings) -> list[str]:
    apps = db.tortoise_config(settings)["apps"]
    executor = MigrationExecutor(get_connection("default"), apps)
    steps = await executor.plan()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


def _migrations_check(pending: list[str]) -> Check:
    if not pending:
        return Check("migrations", True, "all applied")
    names = ", ".join(pending)
    return Check(
        "migrations", False, f"{len(pending)} pending ({names})", "run `creatoraudit migrate`"
    )


async def database_checks(settings: Settings, *, migrations: bool = True) -> list[Check]:
    """The database check, then (when it connects and `migrations`) the migrations check."""
    refused = parse_check(settings)
    if refused is not None:
        return [refused]
    where = db.describe(settings)
    unopenable = _sqlite_check(settings)
    if unopenable is not None:
        return [unopenable]
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await Tortoise.init(config=db.tortoise_config(settings))
            await get_connection("default").execute_query("SELECT 1")
        checks = [Check(NAME, True, f"connected to {where}")]
        if migrations:
            checks.append(_migrations_check(await _pending_migrations(settings)))
        return checks
    except Exception as exc:  # every failure to connect becomes a line saying what to fix
        detail, fix = explain(exc, settings)
        return [Check(NAME, False, f"{where}: {detail}", fix)]
    finally:
        await Tortoise.close_connections()
