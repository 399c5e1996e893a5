"""Bad data cannot poison an organization: the count maximum, strict NDJSON counts, atomic batches.

The real importer against the real database; a database failure is made by a trigger the test
installs (the database itself refuses a write), never by patching our code.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from app import models
from app.counts import MAX_COUNT, CountOutOfRange
from app.identifiers import Platform
from app.importer import ImportFailed, import_file
from app.metrics import store
from app.metrics.windows import today_utc
from app.services.accounts import track_account
from app.services.tenancy import Tenant
from tests.conftest import ENGINE, Org
from tests.services.test_importer import (
    FIXTURES,
    HEADER,
    natural_contents,
    table_contents,
    write,
)

TT = "tiktok"
ORG_METRICS = """
query($range: DateRangeInput!) {
  organization { metrics(window: {range: $range}) { followers views likes engagementRate } }
  accounts { nodes { handle metrics(window: {range: $range}) { followers views likes } } }
}
"""


def day(offset: int) -> str:
    return (today_utc() + timedelta(days=offset)).isoformat()


def video_id(n: int) -> str:
    return str(7_000_000_000_000_000_000 + n)


def window(start: int = -30, end: int = 0) -> dict[str, Any]:
    return {"range": {"start": day(start), "end": day(end)}}


# --- the count maximum -------------------------------------------------------------------------


async def test_a_count_near_2_63_is_a_bad_row_and_the_organization_stays_refreshable(
    org: Org, tmp_path: Path
) -> None:
    # given: the file: one count near 2^63 (valid by the old checks) among good rows.
    # Before the maximum, the import died with "bigint out of range" after writing part of the
    # file, and every later refresh of the organization overflowed the same totals.
    path = write(
        tmp_path,
        "big.csv",
        HEADER,
        f"tiktok,account,big,,,{day(-2)},100,,,,,,",
        f"tiktok,video,big,{video_id(1)},,{day(-2)},,{2**63 - 1},,,,,",
        f"tiktok,video,big,{video_id(2)},,{day(-2)},,10,,4,,,",
        f"tiktok,video,big,{video_id(3)},,{day(-2)},,{MAX_COUNT + 1},,,,,",
    )

    report = await import_file(org.id, path)

    assert [(b.line, b.reason) for b in report.bad_rows] == [
        (3, f"views '{2**63 - 1}' is over the maximum count 1,000,000,000,000"),
        (5, f"views '{MAX_COUNT + 1}' is over the maximum count 1,000,000,000,000"),
    ]
    assert (report.good, report.observations, report.exit_code) == (2, 2, 1)
    account = await models.Account.get(organization_id=org.id, handle="big")
    assert (account.followers, account.total_views) == (100, 10)
    # then: a refresh afterwards is recorded, and the metrics answer
    video = await models.Video.get(organization_id=org.id, platform_video_id=video_id(2))
    now = datetime.now(UTC)
    await store.record_video(video.id, [store.VideoCounters(now, views=25, likes=5)])
    await store.record_profile(account.id, [store.ProfileCounters(now, followers=120)])
    data = (await org.gql(ORG_METRICS, {"range": window()["range"]})).data
    assert data["organization"]["metrics"] == {
        "followers": 120,
        "views": 25,
        "likes": 5,
        "engagementRate": 20.0,
    }


async def test_counts_at_the_maximum_add_up_exactly_at_every_scope(
    org: Org, tmp_path: Path
) -> None:
    # given: eight videos and two profiles all at the maximum, on two days
    lines = [HEADER]
    for account in ("top.a", "top.b"):
        lines += [f"tiktok,account,{account},,,{day(d)},{MAX_COUNT},,,,,," for d in (-3, -1)]
    for n in range(8):
        author = ("top.a", "top.b")[n % 2]
        lines += [
            f"tiktok,video,{author},{video_id(n)},,{day(d)},,{MAX_COUNT},,{MAX_COUNT},,,"
            for d in (-3, -1)
        ]
    report = await import_file(org.id, write(tmp_path, "max.csv", *lines))
    assert report.bad == 0

    data = (await org.gql(ORG_METRICS, {"range": window()["range"]})).data

    assert data["organization"]["metrics"] == {
        "followers": 2 * MAX_COUNT,
        "views": 8 * MAX_COUNT,
        "likes": 8 * MAX_COUNT,
        "engagementRate": 100.0,
    }
    assert sorted((a["handle"], a["metrics"]["views"]) for a in data["accounts"]["nodes"]) == [
        ("top.a", 4 * MAX_COUNT),
        ("top.b", 4 * MAX_COUNT),
    ]


async def test_the_store_refuses_a_count_outside_the_bounds_before_writing(org: Org) -> None:
    tracked = await track_account(
        Tenant(org.id), platform=Platform.TIKTOK, handle="guarded", url=None
    )
    account = tracked.value
    assert account is not None
    moment = datetime.now(UTC)

    with pytest.raises(CountOutOfRange, match="followers"):
        await store.record_profile(account.id, [store.ProfileCounters(moment, MAX_COUNT + 1)])
    with pytest.raises(CountOutOfRange, match="following"):
        await store.record_many({account.id: [store.ProfileCounters(moment, 1, -1)]}, {})

    assert not await models.AccountSnapshot.filter(account_id=account.id).exists()


# --- NDJSON counts are JSON integers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12", "followers '12' is not a JSON integer"),
        ("", "followers '' is not a JSON integer"),
        (True, "followers 'true' is not a JSON integer"),
        (12.5, "followers '12.5' is not a JSON integer"),
        (-3, "followers '-3' is negative"),
        (MAX_COUNT + 1, "followers '1000000000001' is over the maximum count 1,000,000,000,000"),
        ([12], "followers '[12]' is not a JSON integer"),
        ({"n": 12}, "followers '{\"n\": 12}' is not a JSON integer"),
    ],
)
async def test_an_ndjson_count_that_is_not_a_json_integer_makes_the_row_bad(
    org: Org, tmp_path: Path, value: object, reason: str
) -> None:
    good = {"platform": TT, "kind": "account", "handle": "strict.one", "date": day(-2)}
    path = write(
        tmp_path,
        "strict.ndjson",
        json.dumps(good | {"followers": value}),
        json.dumps(good | {"date": day(-1), "followers": 7}),
    )

    report = await import_file(org.id, path)

    assert [(b.line, b.reason) for b in report.bad_rows] == [(1, reason)]
    account = await models.Account.get(organization_id=org.id, handle="strict.one")
    assert account.followers == 7
    assert await models.AccountSnapshot.filter(account_id=account.id).count() == 1


async def test_ndjson_integers_with_a_zero_fraction_null_and_absent_are_accepted(
    org: Org, tmp_path: Path
) -> None:
    # 12.0 is an integer in JSON's data model (JSON Schema's "integer": no fractional part);
    # null and absent mean unknown.
    good = {"platform": TT, "kind": "account", "handle": "lenient.one"}
    path = tmp_path / "ok.ndjson"
    path.write_text(
        json.dumps(good | {"date": day(-3), "followers": 12, "following": None})
        + "\n"
        + json.dumps(good | {"date": day(-2), "followers": 13.0, "posts": 4})
        + "\n"
        + f'{{"platform": "tiktok", "kind": "account", "handle": "lenient.one", '
        f'"date": "{day(-1)}", "followers": 1.4e1}}\n',
        encoding="utf-8",
    )

    report = await import_file(org.id, path)

    assert (report.bad, report.good) == (0, 3)
    snapshots = await models.AccountSnapshot.filter(account__handle="lenient.one").order_by("day")
    assert [(s.followers, s.following, s.posts) for s in snapshots] == [
        (12, None, None),
        (13, None, 4),
        (14, None, None),
    ]


async def test_csv_counts_stay_text_with_an_integral_value(org: Org, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "text.csv",
        HEADER,
        f'tiktok,account,csv.one,,,{day(-2)},"12",,,,,,',
        f"tiktok,account,csv.one,,,{day(-1)},13.0,,,,,,",
        f"tiktok,account,csv.one,,,{day(0)},{MAX_COUNT + 1},,,,,,",
    )

    report = await import_file(org.id, path)

    assert [(b.line, b.reason.split(" is ")[1]) for b in report.bad_rows] == [
        (4, "over the maximum count 1,000,000,000,000")
    ]
    account = await models.Account.get(organization_id=org.id, handle="csv.one")
    assert account.followers == 13


# --- atomic batches ----------------------------------------------------------------------------

REFUSED_VIEWS = 987_654_321  # the trigger refuses a video snapshot with exactly these views


@asynccontextmanager
async def database_refuses_a_snapshot() -> AsyncIterator[None]:
    """A trigger in the test database that refuses one video snapshot value (a real failure)."""
    conn = connections.get("default")
    if ENGINE == "sqlite":
        await conn.execute_script(
            "".join(
                f"CREATE TRIGGER refuse_snapshot_{event} BEFORE {event} ON video_snapshot "
                f"WHEN NEW.views = {REFUSED_VIEWS} BEGIN SELECT RAISE(ABORT, 'refused'); END;"
                for event in ("INSERT", "UPDATE")
            )
        )
        drop = "DROP TRIGGER refuse_snapshot_INSERT; DROP TRIGGER refuse_snapshot_UPDATE;"
    else:
        await conn.execute_script(
            "CREATE FUNCTION refuse_snapshot() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.views = {REFUSED_VIEWS} THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER refuse_snapshot BEFORE INSERT OR UPDATE ON video_snapshot "
            "FOR EACH ROW EXECUTE FUNCTION refuse_snapshot();"
        )
        drop = "DROP TRIGGER refuse_snapshot ON video_snapshot; DROP FUNCTION refuse_snapshot();"
    try:
        yield
    finally:
        await conn.execute_script(drop)


def batched_file(tmp_path: Path, refused: bool) -> Path:
    """An account and ten videos over three days; video 5's last row may carry the refused
    value. Written in batches of 4 entities, the refused row's batch is not the first."""
    lines = [HEADER, f"tiktok,account,batched,,,{day(-3)},500,,,,,,"]
    for n in range(10):
        for d in (-3, -2, -1):
            views = REFUSED_VIEWS if refused and n == 5 and d == -1 else 100 * (n + 1) - d
            lines.append(f"tiktok,video,batched,{video_id(n)},,{day(d)},,{views},,3,,,")
    return write(tmp_path, "batched.csv", *lines)


async def test_a_batch_the_database_refuses_leaves_nothing_and_a_rerun_completes_the_import(
    make_org: Callable[..., Awaitable[Org]], tmp_path: Path
) -> None:
    # given: batches of at most 2 entities, one of which holds the refused row
    org, reference = await make_org(), await make_org()
    await import_file(reference.id, batched_file(tmp_path, refused=False), batch_entities=2)
    failing = batched_file(tmp_path, refused=True)

    async with database_refuses_a_snapshot():
        with pytest.raises(ImportFailed, match="observations were recorded before it") as info:
            await import_file(org.id, failing, batch_entities=2)

    # then: what the report says was recorded is there, nothing of the refused batch (video 5
    # has no snapshot at all, though only its last row was refused); the account's totals are
    # exactly those of the videos recorded
    recorded = info.value.report.observations
    videos = await models.Video.filter(organization_id=org.id)
    snapshots = await models.VideoSnapshot.filter(video__organization_id=org.id)
    profiles = await models.AccountSnapshot.filter(account__organization_id=org.id).count()
    assert len(snapshots) + profiles == recorded
    assert 0 < recorded < 31
    refused = next(v for v in videos if v.platform_video_id == video_id(5))
    assert not [s for s in snapshots if s.video_id == refused.id]
    assert refused.views is None
    account = await models.Account.get(organization_id=org.id, handle="batched")
    assert account.total_views == sum(v.views or 0 for v in videos)
    written = {s.video_id for s in snapshots}
    assert all(len([s for s in snapshots if s.video_id == v]) == 3 for v in written)
    # and: the same file again, the database willing, gives what a clean import gives
    import_again = tmp_path / "again"
    import_again.mkdir()
    report = await import_file(org.id, batched_file(import_again, refused=False), batch_entities=2)
    assert report.observations == 31
    assert await natural_contents(org.id) == await natural_contents(reference.id)


async def test_a_failed_batch_changes_no_table(org: Org, tmp_path: Path) -> None:
    # given: an organization with history, then a file whose only batch is refused
    await import_file(org.id, batched_file(tmp_path, refused=False))
    before = await table_contents(org.id)
    lines = batched_file(tmp_path, refused=True).read_text(encoding="utf-8").splitlines()
    changed = write(tmp_path, "changed.csv", *(line.replace(",500,", ",900,") for line in lines))

    async with database_refuses_a_snapshot():
        with pytest.raises(ImportFailed, match="none of that batch"):
            await import_file(org.id, changed)

    assert await table_contents(org.id) == before


async def test_batches_of_a_few_entities_record_the_same_data_as_one(
    make_org: Callable[..., Awaitable[Org]],
) -> None:
    one, many = await make_org(), await make_org()

    await import_file(one.id, FIXTURES / "example.csv")
    report = await import_file(many.id, FIXTURES / "example.csv", batch_size=7, batch_entities=2)

    assert (report.observations, report.entities_done) == (29, 6)
    assert await natural_contents(one.id) == await natural_contents(many.id)


async def test_only_the_refused_batch_of_entities_is_missing(org: Org, tmp_path: Path) -> None:
    # given: everything waits in memory at once, and is written four entities per transaction:
    # [profile, videos 0-2], [videos 3-6], [videos 7-9]; video 5 is refused
    async with database_refuses_a_snapshot():
        with pytest.raises(ImportFailed, match="10 observations were recorded before it"):
            await import_file(org.id, batched_file(tmp_path, refused=True), batch_entities=4)

    recorded = await models.VideoSnapshot.filter(video__organization_id=org.id).values_list(
        "video__platform_video_id", flat=True
    )
    assert sorted({str(v) for v in recorded}) == [video_id(n) for n in range(3)]
    assert len(recorded) == 9
