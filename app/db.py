"""Tortoise ORM configuration and the migration runner."""

from __future__ import annotations

from typing import Any, Literal

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

from app.settings import Settings

MODELS_MODULE = "app.models"
MIGRATIONS_MODULE = "app.migrations"


async def _keep_session(connection: Any) -> None:
    """Release a pooled PostgreSQL connection without asyncpg's `RESET ALL` round trip.

    asyncpg still rolls back a transaction left open; nothing else needs undoing: the app sets
    no session state (its advisory locks are transaction-scoped, it never LISTENs or SETs).
    """


# Whose connections: `serve`, the worker, or another command (each has its statement timeout).
Role = Literal["serve", "worker", "command"]


def _statement_timeout(settings: Settings, role: Role) -> float | None:
    timeouts = settings.timeouts
    seconds = {
        "serve": timeouts.database_statement_seconds,
        "worker": timeouts.database_worker_statement_seconds,
        "command": timeouts.database_long_statement_seconds,
    }[role]
    return seconds or None


def _connection(settings: Settings, role: Role) -> str | dict[str, Any]:
    """The connection config: PostgreSQL URLs expanded to add session reset and timeouts.

    asyncpg's `timeout` bounds opening a connection, `command_timeout` each statement (and the
    cancel request that follows one over it): without them a database that accepts but never
    answers holds every request forever.
    """
    url = settings.database_url
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    credentials = config["credentials"]
    credentials["reset"] = _keep_session
    credentials["timeout"] = settings.timeouts.database_connect_seconds
    credentials["command_timeout"] = _statement_timeout(settings, role)
    return config


def tortoise_config(settings: Settings, *, role: Role = "command") -> dict[str, Any]:
    """Build the Tortoise config dict for the configured database, for `role`'s process."""
    return {
        "connections": {"default": _connection(settings, role)},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(settings: Settings) -> None:
    """Apply every pending migration, then close the connections it opened."""
    try:
        await run_migrations(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()


def describe(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    url = settings.database_url
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user, colon, _ = credentials.partition(":")
        return f"{scheme}{sep}{user}{':***' if colon else ''}@{host}"
    return url


async def makemigrations(settings: Settings, name: str | None) -> None:
    """Write a migration for model changes (developer tool)."""
    from tortoise.cli import cli as tortoise_cli

    context = tortoise_cli.CLIContext(config=f"{__name__}.TORTOISE_ORM", config_file=None)
    await tortoise_cli.makemigrations(context, (), False, name)


async def pending_model_changes(settings: Settings) -> list[str]:
    """Names of the migrations `makemigrations` would write; empty when models match them."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config(settings)
    async with tortoise_cli_context(config) as context:
        assert context.apps is not None
        detector = MigrationAutodetector(context.apps, config["apps"])
        writers = await detector.changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


def __getattr__(name: str) -> Any:
    # `tortoise` CLI reads `app.db.TORTOISE_ORM`; built on demand so importing this module
    # never reads the environment.
    if name == "TORTOISE_ORM":
        return tortoise_config(Settings())
    raise AttributeError(name)
