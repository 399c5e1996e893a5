"""Logging: readable lines on a terminal, JSON lines otherwise; keys and passwords never logged.

One `dictConfig` (built by `logging_config`) serves the whole process, uvicorn's loggers
included: `serve` hands the same dict to uvicorn, so its records go through our formatters.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO
from urllib.parse import unquote, urlsplit

import orjson

if TYPE_CHECKING:
    from app.settings import Settings

LogFormat = Literal["auto", "text", "json"]

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# uvicorn passes an ANSI-coloured copy of some messages in `extra`; never ours to print.
_DROPPED_EXTRAS = {"color_message"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_REDACTED = "[redacted]"
# Secrets that have a recognisable shape, wherever they appear in a message or a traceback.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values: `Bearer <token>`, `Basic <credentials>`.
    (re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[^\s\\\"',;&]+"), rf"\1\2{_REDACTED}"),
    # Our API keys (`ca_` + 32 URL-safe characters), also without a Bearer before them.
    (re.compile(r"\bca_[A-Za-z0-9_-]{8,}"), f"ca_{_REDACTED}"),
    # Passwords in URLs: postgres://user:password@host, redis://:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"), r"\1***@"),
    # Credentials passed as query or form parameters (Instagram's access_token, TikTok's secret).
    (
        re.compile(
            r"(?i)\b(access_token|client_secret|password|passwd|secret|api_key|token)"
            r"=[^&\s\\\"',;]+"
        ),
        rf"\1={_REDACTED}",
    ),
)


class Redactor:
    """Removes secrets from log text: shaped ones by pattern, configured ones by value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values would redact ordinary words; every real secret here is longer.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return _ANSI.sub("", text)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in _DROPPED_EXTRAS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's `extra` fields; no colour, no secrets."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps({key: self._clean(value) for key, value in entry.items()}).decode()

    def _clean(self, value: Any) -> Any:
        # Numbers and flags stay JSON values; anything else is text, redacted.
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redact(value if isinstance(value, str) else str(value))


class TextFormatter(logging.Formatter):
    """`12:00:01 INFO  creatoraudit.access request method=POST status=200 …` for a person."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{key}={value}" for key, value in _extras(record).items())
        line = f"{stamp} {record.levelname:<7} {record.name} {record.getMessage()}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return self.redact(line)


def resolve_format(chosen: LogFormat, stream: TextIO) -> Literal["text", "json"]:
    """`auto` is text when the stream is a terminal, JSON otherwise (files, pipes, containers)."""
    if chosen != "auto":
        return chosen
    try:
        return "text" if stream.isatty() else "json"
    except ValueError:  # a closed stream
        return "json"


def logging_config(
    level: str, log_format: Literal["text", "json"], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """The `logging.config.dictConfig` of the process; uvicorn gets it as its `log_config`."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    numeric = logging.getLevelName(level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "creatoraudit": {"()": formatter, "redactor": Redactor(secrets)},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "creatoraudit",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's loggers keep no handlers of their own: they reach ours through the root.
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": level},
            # Tortoise's start-up and shutdown notes and SQL statements only when debugging.
            "tortoise": {"level": logging.getLevelName(max(logging.WARNING, numeric))},
        },
    }


def secrets_of(settings: Settings) -> list[str]:
    """The configured secret values, redacted wherever they would appear in a log line."""
    values = [
        settings.secret_key.get_secret_value(),
        settings.instagram.access_token.get_secret_value(),
        settings.tiktok.client_secret.get_secret_value(),
    ]
    for url in (settings.database_url, settings.redis_url or ""):
        password = urlsplit(url).password if "://" in url else None
        if password:
            values += [password, unquote(password)]
    return values


def chosen_format(settings: Settings) -> LogFormat:
    """CREATORAUDIT_LOG_FORMAT, or the older CREATORAUDIT_LOG_JSON when only that is set."""
    if settings.log_format == "auto" and settings.log_json is not None:
        return "json" if settings.log_json else "text"
    return settings.log_format


def settings_logging_config(settings: Settings) -> dict[str, Any]:
    """A fresh dictConfig for `settings` (dictConfig consumes parts of the dict it is given)."""
    log_format = resolve_format(chosen_format(settings), sys.stderr)
    return logging_config(settings.log_level, log_format, secrets_of(settings))


def configure_logging(settings: Settings) -> None:
    """Send every log record to stderr in the format the settings ask for."""
    logging.config.dictConfig(settings_logging_config(settings))
