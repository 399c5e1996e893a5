"""Store writes are set-based: statement counts do not grow with entities or rows, a batch
equals the same rows written one by one, and concurrent writers neither deadlock nor lose.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import models
from app.metrics import store, versions
from tests.conftest import Org
from tests.metrics.writes import (
    DAY0,
    make_account,
    make_videos,
    profile_counters,
    set_based,
    stored_state,
    video_counters,
)

MakeOrg = Callable[[], Awaitable[Org]]


async def _first_write_statements(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch, videos: int, days: int
) -> int:
    org = await make_org()
    account = await make_account(org.id, f"writer{videos}x{days}")
    video_ids = await make_videos(org.id, account, videos, f"{videos}x{days}-")
    observations = {
        video_id: [video_counters(DAY0 + timedelta(days=d), i) for d in range(days)]
        for i, video_id in enumerate(video_ids)
    }
    profiles = {account: [profile_counters(DAY0 + timedelta(days=d), 1) for d in range(days)]}
    with set_based(monkeypatch) as statements:
        await store.record_many(profiles, observations)
    assert await models.VideoSnapshot.filter(video_id__in=video_ids).count() == videos * days
    return len(statements)


async def test_a_batch_of_100_and_of_10000_rows_is_written_with_the_same_statements(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await _first_write_statements(make_org, monkeypatch, videos=10, days=10)
    large = await _first_write_statements(make_org, monkeypatch, videos=100, days=100)
    assert small == large
    assert small <= 30, small


async def test_5_and_50_posts_are_written_with_the_same_statements(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    five = await _first_write_statements(make_org, monkeypatch, videos=5, days=1)
    fifty = await _first_write_statements(make_org, monkeypatch, videos=50, days=1)
    assert five == fifty


async def test_a_second_observation_of_5_and_50_posts_costs_the_same_statements(
    make_org: MakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = []
    for size in (5, 50):
        org = await make_org()
        account = await make_account(org.id, f"again{size}")
        video_ids = await make_videos(org.id, account, size, f"again{size}-")
        await store.record_many({}, {v: [video_counters(DAY0, i)] for i, v in enumerate(video_ids)})
        later = DAY0 + timedelta(days=3)
        with set_based(monkeypatch) as statements:
            await store.record_many(
                {}, {v: [video_counters(later, i)] for i, v in enumerate(video_ids)}
            )
        counts.append(len(statements))
    assert counts[0] == counts[1]


# --- one by one, in random order, equals one batch ---------------------------------------------

_ROW = st.tuples(
    st.sampled_from(["v0", "v1", "v2", "p0", "p1"]),  # entity
    st.integers(0, 20),  # day offset
    st.integers(0, 9),  # seed of the counters
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(_ROW, min_size=1, max_size=40, unique_by=lambda r: (r[0], r[1])),
    order=st.randoms(use_true_random=False),
)
async def test_rows_written_one_by_one_in_any_order_equal_one_batch(
    make_org: MakeOrg, rows: list[tuple[str, int, int]], order: random.Random
) -> None:
    states = []
    for one_by_one in (False, True):
        org = await make_org()
        accounts = {p: await make_account(org.id, p) for p in ("p0", "p1")}
        videos = dict(
            zip(("v0", "v1", "v2"), await make_videos(org.id, accounts["p0"], 3, "v"), strict=True)
        )
        # v2 is nobody's (an individual post): its history counts in the organization only
        await models.Video.filter(id=videos["v2"]).update(account_id=None)
        writes: list[
            tuple[dict[int, list[store.ProfileCounters]], dict[int, list[store.VideoCounters]]]
        ] = []
        for entity, offset, seed in rows:
            day = DAY0 + timedelta(days=offset)
            if entity.startswith("v"):
                writes.append(({}, {videos[entity]: [video_counters(day, seed)]}))
            else:
                writes.append(({accounts[entity]: [profile_counters(day, seed)]}, {}))
        if one_by_one:
            order.shuffle(writes)
            for profiles, observed in writes:
                await store.record_many(profiles, observed)
        else:
            batch_profiles: dict[int, list[store.ProfileCounters]] = {}
            batch_videos: dict[int, list[store.VideoCounters]] = {}
            for profiles, observed in writes:
                for key, values in profiles.items():
                    batch_profiles.setdefault(key, []).extend(values)
                for key, video_values in observed.items():
                    batch_videos.setdefault(key, []).extend(video_values)
            await store.record_many(batch_profiles, batch_videos)
        states.append(await stored_state(org.id))
    assert states[0] == states[1]


# --- concurrent writers -------------------------------------------------------------------------


async def test_concurrent_writers_across_organizations_neither_deadlock_nor_lose_writes(
    make_org: MakeOrg,
) -> None:
    # given: two pairs of organizations with the same entities; writers touch both
    # organizations of a pair, in both orders, and move posts between feeds meanwhile
    pairs = []
    for _ in range(2):
        orgs = [await make_org(), await make_org()]
        entities = []
        for org in orgs:
            account = await make_account(org.id, "shared")
            other = await make_account(org.id, "other")
            entities.append((account, other, await make_videos(org.id, account, 6, "c")))
        pairs.append(entities)

    def writes(entities: list[tuple[int, int, list[int]]]) -> list[Callable[[], Awaitable[None]]]:
        jobs: list[Callable[[], Awaitable[None]]] = []
        for step in range(12):
            day = DAY0 + timedelta(days=step % 6)
            members = entities if step % 2 else entities[::-1]
            profiles = {account: [profile_counters(day, step)] for account, _, _ in members}
            observed = {
                v: [video_counters(day, step + i)] for _, _, vs in members for i, v in enumerate(vs)
            }
            jobs.append(functools.partial(store.record_many, profiles, observed))
        for _, other, videos in entities:
            jobs.append(functools.partial(store.set_video_account, videos[0], other))
            jobs.append(functools.partial(store.set_video_account, videos[1], other))
        return jobs

    concurrent, sequential = writes(pairs[0]), writes(pairs[1])
    # when: one pair's writes run all at once, the other's one after the other
    await asyncio.gather(*(job() for job in concurrent))
    for job in sequential:
        await job()
    # then: no deadlock was raised, and both pairs hold the same state
    for concurrent_entities, sequential_entities in zip(pairs[0], pairs[1], strict=True):
        org_c = (await models.Account.get(id=concurrent_entities[0])).organization_id
        org_s = (await models.Account.get(id=sequential_entities[0])).organization_id
        assert await stored_state(org_c) == await stored_state(org_s)


async def test_a_caller_that_locked_other_organizations_cannot_write_without_the_lock(
    make_org: MakeOrg,
) -> None:
    org, other = await make_org(), await make_org()
    account = await make_account(org.id, "unlocked")
    profiles = {account: [profile_counters(DAY0, 1)]}
    async with versions.writing(other.id) as conn:
        await store.lock_organizations(conn, [other.id])
        with pytest.raises(RuntimeError, match="not locked"):
            await store.write_observations(conn, profiles, {}, locked=[other.id])
    assert not await models.AccountSnapshot.filter(account_id=account).exists()
