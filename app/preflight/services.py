"""Can Redis (and the arq queue in it) and the platforms' base URLs be reached?"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import aiohttp
from redis import asyncio as aioredis
from redis.exceptions import AuthenticationError, RedisError, ResponseError

from app.preflight.check import Check
from app.settings import Settings

REDIS_SETTING = "CREATORAUDIT_REDIS_URL"
TIMEOUT = 5.0


def describe_redis(url: str) -> str:
    """`redis://host:port/db`, without the credentials."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or 'localhost'}{port}{parts.path}"


def _explain_redis(exc: BaseException, where: str) -> Check:
    if isinstance(exc, AuthenticationError) or (
        isinstance(exc, ResponseError) and "NOAUTH" in str(exc)
    ):
        return Check(
            "redis",
            False,
            f"{where} refused the credentials",
            f"check the password in {REDIS_SETTING}",
        )
    if isinstance(exc, TimeoutError):
        return Check(
            "redis",
            False,
            f"no answer from {where} within {TIMEOUT:.0f} s",
            "check host, port, firewall",
        )
    return Check(
        "redis",
        False,
        f"cannot connect to {where} ({exc})",
        f"is Redis running there? check {REDIS_SETTING}, or unset it to refresh inside `serve`",
    )


async def redis_checks(settings: Settings, *, queue: bool = True) -> list[Check]:
    """Ping Redis (when configured), then look at the arq queue's key."""
    url = settings.redis_url
    if not url:
        return [Check("redis", True, "not configured: refreshes run inside `serve` (embedded)")]
    try:
        client = aioredis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
    except ValueError as exc:
        return [
            Check(
                "redis",
                False,
                f"{REDIS_SETTING} is not a Redis URL ({exc})",
                "use redis://[:PASSWORD@]HOST:6379/0",
            )
        ]
    where = describe_redis(url)
    try:
        async with asyncio.timeout(TIMEOUT * 2):
            await client.ping()
            checks = [Check("redis", True, f"{where} answers PING")]
            if queue:
                checks.append(await _queue_check(client, settings.queue_name))
            return checks
    except (RedisError, OSError, TimeoutError) as exc:
        return [_explain_redis(exc, where)]
    finally:
        await client.aclose()


async def _queue_check(client: aioredis.Redis, name: str) -> Check:
    kind = (await client.type(name)).decode()
    if kind not in ("zset", "none"):
        return Check(
            "queue",
            False,
            f"key {name!r} is a {kind}, not an arq queue",
            "set CREATORAUDIT_QUEUE_NAME to an unused key",
        )
    waiting = await client.zcard(name) if kind == "zset" else 0
    return Check("queue", True, f"arq queue {name!r} reachable, {waiting} job(s) waiting")


async def platform_check(session: aiohttp.ClientSession, name: str, base_url: str) -> Check:
    """Any HTTP answer from the base URL means the platform can be reached from here."""
    setting = f"CREATORAUDIT_{name.upper()}__BASE_URL"
    try:
        async with session.get(base_url, allow_redirects=False) as response:
            return Check(name, True, f"{base_url} reachable (HTTP {response.status})")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        return Check(
            name,
            False,
            f"cannot reach {base_url} ({reason})",
            f"check {setting} and this host's outbound network or proxy",
        )


async def platform_checks(settings: Settings) -> list[Check]:
    """Instagram's and TikTok's configured base URLs, concurrently."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        results = await asyncio.gather(
            platform_check(session, "instagram", settings.instagram.base_url),
            platform_check(session, "tiktok", settings.tiktok.base_url),
        )
    return list(results)
