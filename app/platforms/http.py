"""The one way platform clients get an HTTP session: explicit connect and read timeouts."""

from __future__ import annotations

import aiohttp

USER_AGENT = "CreatorAudit/1.0 (+platform-refresh)"


def create_session(
    timeout_seconds: float = 10.0, trace_configs: list[aiohttp.TraceConfig] | None = None
) -> aiohttp.ClientSession:
    """An `aiohttp.ClientSession` whose connect and per-read waits are bounded.

    `timeout_seconds` bounds connecting and each socket read; the whole request (including
    redirects and a slowly trickling body) is capped at three times that. `trace_configs`
    observe every request (metrics). The caller owns the session and must close it
    (`async with create_session() as session: …`).
    """
    timeout = aiohttp.ClientTimeout(
        total=timeout_seconds * 3,
        connect=timeout_seconds,
        sock_connect=timeout_seconds,
        sock_read=timeout_seconds,
    )
    return aiohttp.ClientSession(
        timeout=timeout, headers={"User-Agent": USER_AGENT}, trace_configs=trace_configs
    )


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header in seconds (these APIs never send the HTTP-date form)."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
