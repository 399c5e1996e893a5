"""`creatoraudit org persisted-only` and `key persisted-only`: trusted documents only, or not."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from tortoise import Tortoise

from app import db
from app.settings import Settings

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


async def _with_orm(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    await Tortoise.init(config=db.tortoise_config(settings))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def _state(enabled: bool) -> str:
    return "persisted-only (trusted documents only)" if enabled else "any document"


def cmd_org_persisted_only(settings: Settings, args: argparse.Namespace) -> int:
    """Switch an organization to persisted-only (--on) or back (--off), or show it."""
    from app import models
    from app.services import organizations

    async def work() -> int:
        org = await models.Organization.filter(id=args.org_id).first()
        if org is None:
            print(f"error: no organization {args.org_id}", file=sys.stderr)
            return 2
        if args.enabled is not None:
            org = await organizations.set_persisted_only(org, args.enabled)
        print(f"organization {org.id}: {_state(org.persisted_queries_only)}")
        return 0

    return asyncio.run(_with_orm(settings, work))


def cmd_key_persisted_only(settings: Settings, args: argparse.Namespace) -> int:
    """Switch an API key to persisted-only (--on) or back (--off), or show it."""
    from app import models
    from app.services import api_keys

    async def work() -> int:
        key = await models.ApiKey.filter(id=args.key_id).first()
        if key is None:
            print(f"error: no API key {args.key_id}", file=sys.stderr)
            return 2
        if args.enabled is not None:
            key = await api_keys.set_persisted_only(key, args.enabled)
        print(f"key {key.id}: {_state(key.persisted_queries_only)}")
        return 0

    return asyncio.run(_with_orm(settings, work))


def _switch(parser: argparse.ArgumentParser) -> None:
    switch = parser.add_mutually_exclusive_group()
    switch.add_argument(
        "--on", dest="enabled", action="store_true", default=None, help="trusted documents only"
    )
    switch.add_argument("--off", dest="enabled", action="store_false", help="any document again")


def add_persisted_only_parsers(org: Subparsers, key: Subparsers) -> None:
    """`org persisted-only ORG_ID [--on|--off]` and `key persisted-only KEY_ID [--on|--off]`."""
    org_only = org.add_parser(
        "persisted-only",
        help="set or show whether an organization runs trusted documents only",
        description="With --on every API key of the organization runs only trusted documents "
        "(`documents load`), by id, hash or exact text; anything else is refused with "
        "PERSISTED_QUERY_REQUIRED. From the next request on. Prints the state in force.",
    )
    org_only.add_argument("org_id", type=int, metavar="ORG_ID", help="organization id")
    _switch(org_only)
    org_only.set_defaults(func=cmd_org_persisted_only)
    key_only = key.add_parser(
        "persisted-only",
        help="set or show whether an API key runs trusted documents only",
        description="As `org persisted-only`, for one key. Prints the state in force.",
    )
    key_only.add_argument("key_id", type=int, help="the numeric id `key create` printed")
    _switch(key_only)
    key_only.set_defaults(func=cmd_key_persisted_only)
