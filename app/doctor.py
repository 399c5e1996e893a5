"""`creatoraudit doctor` and `creatoraudit worker --check`: one line per check, what to fix."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from app.preflight import Check
from app.preflight.config import load_settings
from app.preflight.database import database_checks
from app.preflight.services import TIMEOUT, describe_redis, platform_checks, redis_checks
from app.settings import Settings
from app.worker.runner import HEALTH_CHECK_SECONDS, health_check_key

Output = Callable[[str], object]


async def all_checks(settings: Settings) -> list[Check]:
    """Database and migrations, Redis and its queue, then the platforms."""
    checks = await database_checks(settings)
    checks += await redis_checks(settings)
    checks += await platform_checks(settings)
    return checks


def run_doctor(out: Output, make_settings: Callable[[], Settings] = Settings) -> int:
    """Print every check; exit code 0 when all pass, 1 otherwise."""
    settings, checks = load_settings(make_settings)
    if settings is not None:
        checks += asyncio.run(all_checks(settings))
    for check in checks:
        out(check.line())
    failed = [check for check in checks if not check.ok]
    if failed:
        out(f"doctor: {len(failed)} of {len(checks)} checks failed")
        return 1
    out(f"doctor: all {len(checks)} checks passed")
    return 0


async def _worker_record(settings: Settings) -> Check:
    assert settings.redis_url is not None
    key = health_check_key(settings.queue_name)
    client = aioredis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
    )
    try:
        record = await client.get(key)
    except (RedisError, OSError) as exc:
        where = describe_redis(settings.redis_url)
        return Check("worker", False, f"cannot read {where} ({exc})", "is Redis running?")
    finally:
        await client.aclose()
    if record is None:
        return Check(
            "worker",
            False,
            f"no health record ({key}) in the last {HEALTH_CHECK_SECONDS + 1} s",
            "is `creatoraudit worker` running on this host? read its log",
        )
    return Check("worker", True, record.decode())


def worker_health(settings: Settings, out: Output) -> int:
    """Exit code 0 when this host's worker recorded its health recently (docker HEALTHCHECK)."""
    check = asyncio.run(_worker_record(settings))
    out(check.line())
    return 0 if check.ok else 1
