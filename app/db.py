"""Tortoise ORM configuration and the migration runner."""

from __future__ import annotations

from typing import Any

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


def _connection(url: str) -> str | dict[str, Any]:
    if not url.startswith(("postgres://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    config["credentials"]["reset"] = _keep_session
    return config


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """Build the Tortoise config dict for the configured database."""
    return {
        "connections": {"default": _connection(settings.database_url)},
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
