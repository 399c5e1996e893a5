"""What `serve` and `worker` check before they start: the database and, when set, Redis."""

from __future__ import annotations

import asyncio
import logging

from app.preflight.check import Check
from app.preflight.database import database_checks
from app.preflight.services import redis_checks
from app.settings import Settings

logger = logging.getLogger("creatoraudit.preflight")


async def dependency_checks(settings: Settings) -> list[Check]:
    """Database (connect, migrations applied) and, when configured, Redis."""
    checks = await database_checks(settings)
    if settings.redis_url:
        checks += await redis_checks(settings, queue=False)
    return checks


def require_dependencies(settings: Settings) -> None:
    """Raise StartupError with the first failed check (what is wrong and how to fix it)."""
    checks = asyncio.run(dependency_checks(settings))
    for check in checks:
        check.raise_if_failed()
    logger.info("ready to start: %s", "; ".join(f"{c.name} {c.detail}" for c in checks))
