"""Settings errors as one line per variable, naming the environment variable to fix."""

from __future__ import annotations

import sys
from collections.abc import Callable

from pydantic import ValidationError

from app import db
from app.logs import chosen_format, resolve_format
from app.preflight.check import Check
from app.settings import Settings

PREFIX = "CREATORAUDIT_"


def variable_name(location: tuple[int | str, ...]) -> str:
    """('limits', 'max_depth') → CREATORAUDIT_LIMITS__MAX_DEPTH."""
    if not location:
        return "settings"
    return PREFIX + "__".join(str(part).upper() for part in location)


def settings_errors(exc: ValidationError) -> list[str]:
    """`CREATORAUDIT_PORT: Input should be less than or equal to 65535 (got '70000')`."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        got = error.get("input")
        given = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        lines.append(f"{variable_name(tuple(error['loc']))}: {message}{given}")
    return lines


def load_settings(make: Callable[[], Settings] = Settings) -> tuple[Settings | None, list[Check]]:
    """The settings from the environment, and one check per problem (or one OK check)."""
    try:
        settings = make()
    except ValidationError as exc:
        return None, [
            Check("settings", False, line, "fix the variable (README: Configuration)")
            for line in settings_errors(exc)
        ]
    log_format = chosen_format(settings)
    detail = (
        f"environment {settings.environment}, database {db.describe(settings)}, "
        f"redis {'configured' if settings.redis_url else 'not configured'}, "
        f"log format {log_format} ({resolve_format(log_format, sys.stderr)} on this stderr)"
    )
    return settings, [Check("settings", True, detail)]
