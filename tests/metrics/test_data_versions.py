"""Data versions: one bump per organization per write transaction, after its writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app import models
from app.identifiers import Platform
from app.metrics import store, versions
from tests.conftest import Org, count_statements


async def _version(org: Org) -> int:
    return int((await models.Organization.get(id=org.id)).data_version)


def _bumps(statements: list[str]) -> int:
    return sum("UPDATE organization SET data_version" in s for s in statements)


async def test_nested_scopes_bump_each_organization_once(org: Org) -> None:
    before = await _version(org)
    with count_statements() as statements:
        async with versions.writing(org.id):
            async with versions.writing(org.id):
                versions.touch(org.id)
            versions.touch(org.id)
    assert await _version(org) == before + 1
    assert _bumps(statements) == 1


async def test_a_transaction_that_fails_moves_nothing(org: Org) -> None:
    before = await _version(org)
    with pytest.raises(ValueError, match="half-way"):
        async with versions.writing(org.id):
            raise ValueError("half-way")
    assert await _version(org) == before


async def test_batched_bumps_once_after_the_last_even_when_it_fails(org: Org) -> None:
    before = await _version(org)
    seen: list[int] = []

    async def half_done() -> None:
        async with versions.batched(org.id):
            async with versions.writing():
                versions.touch(org.id)
            seen.append(await _version(org))  # not yet: the block has not ended
            raise ValueError("half-way")

    with pytest.raises(ValueError, match="half-way"):
        await half_done()
    assert seen == [before]
    assert await _version(org) == before + 1


async def test_a_task_started_inside_a_scope_bumps_on_its_own(org: Org) -> None:
    before = await _version(org)

    async def elsewhere() -> None:
        async with versions.writing(org.id):
            pass

    async with versions.batched():
        await asyncio.create_task(elsewhere())
        assert await _version(org) == before + 1
    assert await _version(org) == before + 1


def test_a_write_outside_any_scope_is_refused() -> None:
    with pytest.raises(RuntimeError, match="outside"):
        versions.touch(1)


async def test_a_batch_of_entities_bumps_its_organization_once(org: Org) -> None:
    await models.Account.bulk_create(
        [
            models.Account(organization_id=org.id, platform=Platform.TIKTOK, handle=f"v{i}")
            for i in range(3)
        ]
    )
    ids = [a.id for a in await models.Account.filter(organization_id=org.id)]
    assert len(ids) == 3
    now = datetime.now(UTC)
    before = await _version(org)
    with count_statements() as statements:
        await store.record_many({pk: [store.ProfileCounters(now, followers=10)] for pk in ids}, {})
    assert await _version(org) == before + 1
    assert _bumps(statements) == 1
    assert statements[-1].startswith("UPDATE organization")  # the transaction's last
