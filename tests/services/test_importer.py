"""Historical import: the real importer against the real database, and the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import models
from app.identifiers import Platform
from app.importer import ImportReport, ImportUsageError, TerminalProgress, import_file
from app.importer.rows import VIDEO_COUNTS
from app.metrics import store
from app.metrics.windows import today_utc
from app.models import ScopeKind
from app.services.accounts import track_account
from app.services.tenancy import Tenant
from app.services.videos import add_video
from tests.conftest import Org
from tests.test_cli import run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
HEADER = "platform,kind,handle,video_id,published_at,date,followers," + ",".join(VIDEO_COUNTS)
IG_PK = "4019484488873542866"  # an Instagram media pk (shortcode DfIE9izgATS)
TT_ID = "7702928068044340301"


def day(offset: int) -> str:
    return (today_utc() + timedelta(days=offset)).isoformat()


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def run(org: Org, path: Path, **options: Any) -> ImportReport:
    return await import_file(org.id, path, **options)


async def table_contents(organization_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of the organization in the tables an import writes, ids and all."""
    videos = models.Video.filter(organization_id=organization_id)
    accounts = models.Account.filter(organization_id=organization_id)
    return {
        "account": await accounts.order_by("id").values(),
        "video": await videos.order_by("id").values(),
        "account_snapshot": await models.AccountSnapshot.filter(
            account__organization_id=organization_id
        )
        .order_by("id")
        .values(),
        "video_snapshot": await models.VideoSnapshot.filter(video__organization_id=organization_id)
        .order_by("id")
        .values(),
        "metric_day": await models.MetricDay.filter(organization_id=organization_id)
        .order_by("id")
        .values(),
        "metric_scope": await models.MetricScope.filter(organization_id=organization_id)
        .order_by("id")
        .values(),
    }


async def natural_contents(organization_id: int) -> dict[str, Any]:
    """The organization's data keyed by platform ids and handles (comparable across orgs)."""
    accounts = {
        a.id: (a.platform.value, a.handle)
        for a in await models.Account.filter(organization_id=organization_id)
    }
    videos = await models.Video.filter(organization_id=organization_id)
    video_keys = {v.id: (v.platform.value, v.platform_video_id) for v in videos}

    def scope(kind: int, scope_id: int) -> Any:
        if kind == ScopeKind.VIDEO:
            return ("video", video_keys[scope_id])
        if kind in (ScopeKind.ACCOUNT, ScopeKind.PROFILE):
            return (int(kind), accounts[scope_id])
        return "organization"

    skip = {"id", "organization_id", "scope_kind", "scope_id", "account_id", "video_id"}
    return {
        "accounts": sorted(
            (
                a.platform.value,
                a.handle,
                a.followers,
                a.following,
                a.posts_count,
                a.total_views,
                a.total_likes,
            )
            for a in await models.Account.filter(organization_id=organization_id)
        ),
        "videos": sorted(
            (
                v.platform.value,
                v.platform_video_id,
                v.shortcode,
                v.url,
                v.author_handle,
                accounts.get(v.account_id) if v.account_id else None,
                v.is_individual,
                v.published_at,
                v.views,
                v.plays,
                v.likes,
                v.comments,
                v.shares,
                v.saves,
                v.discovered_at is not None,
                v.individual_added_at is not None,
            )
            for v in videos
        ),
        "account_snapshots": sorted(
            (
                accounts[s["account_id"]],
                s["day"],
                s["observed_at"],
                s["followers"],
                s["following"],
                s["posts"],
            )
            for s in await models.AccountSnapshot.filter(
                account__organization_id=organization_id
            ).values()
        ),
        "video_snapshots": sorted(
            (
                video_keys[s["video_id"]],
                s["day"],
                s["observed_at"],
                *(s[c] for c in ("views", "plays", "likes", "comments", "shares", "saves")),
            )
            for s in await models.VideoSnapshot.filter(
                video__organization_id=organization_id
            ).values()
        ),
        "metric_day": sorted(
            (
                str(scope(r["scope_kind"], r["scope_id"])),
                r["day"],
                tuple(v for k, v in sorted(r.items()) if k not in skip and k != "day"),
            )
            for r in await models.MetricDay.filter(organization_id=organization_id).values()
        ),
        "metric_scope": sorted(
            (
                str(scope(r["scope_kind"], r["scope_id"])),
                tuple(str(v) for k, v in sorted(r.items()) if k not in skip),
            )
            for r in await models.MetricScope.filter(organization_id=organization_id).values()
        ),
    }


# --- formats ---------------------------------------------------------------------------------


async def test_csv_and_ndjson_produce_the_same_data(
    make_org: Callable[..., Awaitable[Org]],
) -> None:
    from_csv, from_ndjson = await make_org(), await make_org()

    csv_report = await run(from_csv, FIXTURES / "example.csv")
    ndjson_report = await run(from_ndjson, FIXTURES / "example.ndjson")

    for report in (csv_report, ndjson_report):
        assert (report.rows_read, report.bad, report.exit_code) == (29, 0, 0)
        assert (report.accounts, report.accounts_created) == (2, 2)
        assert (report.videos, report.account_videos_created) == (4, 3)
        assert report.individual_videos_created == 1  # guest.chef is not in the file
        assert report.observations == report.snapshots_added == 29
    data = await natural_contents(from_csv.id)
    assert data == await natural_contents(from_ndjson.id)
    assert len(data["video_snapshots"]) == 19
    assert len(data["metric_day"]) > 19


async def test_a_small_batch_size_records_the_same_data(
    make_org: Callable[..., Awaitable[Org]],
) -> None:
    one_flush, many_flushes = await make_org(), await make_org()

    await run(one_flush, FIXTURES / "example.csv")
    report = await run(many_flushes, FIXTURES / "example.csv", batch_size=3)

    assert report.observations == 29
    assert await natural_contents(one_flush.id) == await natural_contents(many_flushes.id)


# --- bad rows ----------------------------------------------------------------------------------


async def test_bad_rows_are_reported_with_line_numbers_and_good_rows_land(
    org: Org, tmp_path: Path
) -> None:
    # given: one bad row of every kind among good ones; a quoted note spans lines 3-4
    path = write(
        tmp_path,
        "mixed.csv",
        HEADER + ",note",
        f"instagram,account,good.one,,,{day(-2)},10,,,,,,,",
        f'instagram,account,good.one,,,{day(-1)},12,,,,,,,"two',
        'lines"',
        "instagram,account,x,,,2026-02-30,1,,,,,,,",
        f"facebook,account,x,,,{day(-1)},1,,,,,,,",
        f"tiktok,account,,,,{day(-1)},1,,,,,,,",
        f"tiktok,account,a..b!,,,{day(-1)},1,,,,,,,",
        f"tiktok,video,creator,,,{day(-1)},,1,,,,,,",
        f"tiktok,video,creator,DfIE9izgATS,,{day(-1)},,1,,,,,,",
        f"tiktok,account,x_y,,,{day(1)},1,,,,,,,",
        f"tiktok,video,creator,{TT_ID},,{day(-1)},,-5,,,,,,",
        f"tiktok,video,creator,{TT_ID},,{day(-1)},,1.5,,,,,,",
        f"tiktok,video,creator,{TT_ID},yesterday,{day(-1)},,1,,,,,,",
        f"tiktok,story,creator,,,{day(-1)},,,,,,,,",
        "tiktok,account,x_y",
        f"TikTok,Video,@Creator,{TT_ID},,{day(-1)},,7,,1,,,,ignored extra column",
        "",
        f",account,,,,{day(-1)},,,,,,,,",
    )
    errors = tmp_path / "errors.csv"

    report = await run(org, path, errors_path=errors)

    expected = [
        (5, "date '2026-02-30' is not a YYYY-MM-DD date"),
        (6, "unknown platform 'facebook' (expected instagram or tiktok)"),
        (7, "handle is missing"),
        (8, "handle 'a..b!' is not a valid TikTok handle"),
        (9, "video_id is missing"),
        (10, "video_id 'DfIE9izgATS' is not a numeric id"),
        (11, f"date {day(1)} is in the future"),
        (12, "views '-5' is negative"),
        (13, "views '1.5' is not an integer"),
        (14, "published_at 'yesterday' is not an ISO 8601 time"),
        (15, "unknown kind 'story' (expected account or video)"),
        (16, "has 3 fields, the header has 14"),
        (19, "platform is missing; handle is missing"),
    ]
    assert [(b.line, b.reason) for b in report.bad_rows] == expected
    assert (report.rows_read, report.bad, report.exit_code) == (16, 13, 1)
    with errors.open(newline="") as written:
        assert list(csv.reader(written)) == [
            ["line", "reason"],
            *([str(line), reason] for line, reason in expected),
        ]
    account = await models.Account.get(organization_id=org.id, handle="good.one")
    assert account.followers == 12
    video = await models.Video.get(organization_id=org.id, platform_video_id=TT_ID)
    assert (video.author_handle, video.views, video.likes) == ("creator", 7, 1)
    assert await models.Account.filter(organization_id=org.id).count() == 1


async def test_bad_ndjson_rows_are_reported_with_line_numbers(org: Org, tmp_path: Path) -> None:
    good = {"platform": "tiktok", "kind": "account", "handle": "some.one", "date": day(-1)}
    path = write(
        tmp_path,
        "mixed.ndjson",
        json.dumps(good | {"followers": 5}),
        "{not json",
        "",
        "[1, 2]",
        json.dumps(good | {"followers": "many"}),
        json.dumps(good | {"followers": True}),
        json.dumps(good | {"followers": 1.5}),
        json.dumps(good | {"handle": None}),
        json.dumps(good | {"date": 20240101}),
        json.dumps(good | {"kind": "video", "video_id": 12.5}),
        json.dumps(good | {"date": day(-2), "followers": 4.0, "following": 3, "extra": [1]}),
    )

    report = await run(org, path)

    assert [(b.line, b.reason.split(" (")[0]) for b in report.bad_rows] == [
        (2, "not valid JSON"),
        (4, "not a JSON object"),
        (5, "followers 'many' is not a JSON integer"),
        (6, "followers 'true' is not a JSON integer"),
        (7, "followers '1.5' is not a JSON integer"),
        (8, "handle is missing"),
        (9, "date must be a string, got '20240101'"),
        (10, "video_id must be a string, got '12.5'"),
    ]
    assert (report.rows_read, report.good) == (10, 2)
    account = await models.Account.get(organization_id=org.id, handle="some.one")
    assert (account.followers, account.following) == (5, 3)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("history.txt", "x", "cannot tell the format"),
        ("empty.csv", "", "the file is empty"),
        ("header.csv", "platform,handle,day\n", "lacks the column(s) kind, date"),
        ("twice.csv", "platform,kind,handle,date,Date\n", "repeats the column(s) date"),
    ],
)
async def test_files_that_cannot_be_imported_are_usage_errors(
    org: Org, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ImportUsageError, match=re.escape(message)):
        await run(org, path)

    assert not await models.Account.filter(organization_id=org.id).exists()


async def test_unknown_organization_and_missing_file_are_usage_errors(
    org: Org, tmp_path: Path
) -> None:
    with pytest.raises(ImportUsageError, match="no organization 987654321"):
        await import_file(987654321, FIXTURES / "example.csv")
    with pytest.raises(ImportUsageError, match="cannot read"):
        await run(org, tmp_path / "missing.csv")


async def test_bom_crlf_and_quoted_line_breaks_keep_line_numbers_right(
    org: Org, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    rows = [
        HEADER + ",note",
        f'tiktok,account,ok.one,,,{day(-1)},1,,,,,,,"first\r\nsecond\r\nthird"',
        f"tiktok,account,ok.one,,,{day(-1)},x,,,,,,,",
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")

    report = await run(org, path)

    assert [(b.line, b.reason) for b in report.bad_rows] == [(5, "followers 'x' is not an integer")]
    assert report.good == 1


async def test_an_unwritable_errors_file_is_a_usage_error(org: Org, tmp_path: Path) -> None:
    with pytest.raises(ImportUsageError, match="cannot write"):
        await run(org, FIXTURES / "example.csv", errors_path=tmp_path / "missing" / "errors.csv")

    assert not await models.Account.filter(organization_id=org.id).exists()


async def test_progress_draws_one_line_and_erases_it(org: Org) -> None:
    stream = io.StringIO()

    await run(org, FIXTURES / "example.ndjson", progress=TerminalProgress(stream, interval=0))

    drawn = stream.getvalue()
    assert "\n" not in drawn
    assert drawn.startswith("\rreading: 0 rows (0 bad), 0 accounts, 0 videos")
    assert "\rrecording: 29/29 rows (0 bad), 6/6 entities" in drawn
    assert drawn.endswith(" \r")


# --- idempotency and observation times ---------------------------------------------------------


async def test_importing_the_same_file_twice_changes_nothing(org: Org, tmp_path: Path) -> None:
    # given: the example plus a duplicate (entity, date) row, where the last one wins
    lines = (FIXTURES / "example.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, "instagram,account,nora.bakes,,,2026-11-05,1,1,1,,,,,,")
    path = write(tmp_path, "twice.csv", *lines)
    await run(org, path)
    before = await table_contents(org.id)

    again = await run(org, path)

    assert await table_contents(org.id) == before
    assert (again.accounts_created, again.videos_created, again.snapshots_added) == (0, 0, 0)
    account = await models.Account.get(organization_id=org.id, handle="nora.bakes")
    assert account.followers == 49012  # the later row of 2026-11-05 won


async def test_observations_are_at_midnight_so_a_refresh_that_day_wins(
    org: Org, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "day.csv", HEADER, f"tiktok,video,someone,{TT_ID},,{day(-1)},,400,,10,,,"
    )
    await run(org, path)
    video = await models.Video.get(organization_id=org.id, platform_video_id=TT_ID)
    refreshed_at = datetime.combine(today_utc() - timedelta(days=1), datetime.min.time(), UTC)
    await store.record_video(
        video.id, [store.VideoCounters(refreshed_at + timedelta(hours=14), views=500, likes=11)]
    )

    await run(org, path)

    snapshot = await models.VideoSnapshot.get(video_id=video.id)
    assert (snapshot.views, snapshot.likes) == (500, 11)
    assert snapshot.observed_at == refreshed_at + timedelta(hours=14)


# --- roles and values --------------------------------------------------------------------------


async def test_account_or_individual_video_is_decided_by_the_organizations_accounts(
    make_org: Callable[..., Awaitable[Org]], org: Org, tmp_path: Path
) -> None:
    # given: "tracked" is an account already; "known" is tracked by another organization only;
    # an individual video by "adopted" exists; the file declares "late" and "adopted" at its end
    tenant = Tenant(org.id)
    await track_account(tenant, platform=Platform.TIKTOK, handle="tracked", url=None)
    other = await make_org()
    await track_account(Tenant(other.id), platform=Platform.TIKTOK, handle="known", url=None)
    added = await add_video(
        tenant,
        url="https://www.tiktok.com/@adopted/video/7000000000000000001",
        shortcode=None,
        video_id=None,
        platform=None,
    )
    assert added.value is not None
    by_id = await add_video(
        tenant, url=None, shortcode=None, video_id="7000000000000000005", platform=Platform.TIKTOK
    )
    assert by_id.value is not None
    assert by_id.value.author_handle is None
    path = write(
        tmp_path,
        "roles.csv",
        HEADER,
        f"tiktok,video,tracked,7000000000000000005,,{day(-2)},,10,,,,,",
        f"tiktok,video,late,7000000000000000002,,{day(-2)},,10,,,,,",
        f"tiktok,video,tracked,7000000000000000003,,{day(-2)},,10,,,,,",
        f"tiktok,video,known,7000000000000000004,,{day(-2)},,10,,,,,",
        f"tiktok,video,adopted,7000000000000000001,,{day(-2)},,10,,,,,",
        f"instagram,video,late,{IG_PK},,{day(-2)},,10,,,,,",
        f"tiktok,account,late,,,{day(-2)},100,,,,,,",
        f"tiktok,account,adopted,,,{day(-2)},100,,,,,,",
    )

    report = await run(org, path)

    accounts = dict(await models.Account.filter(organization_id=org.id).values_list("handle", "id"))
    roles = {
        v.platform_video_id: (
            v.account_id,
            v.is_individual,
            v.discovered_at is not None,
            v.individual_added_at is not None,
        )
        for v in await models.Video.filter(organization_id=org.id)
    }
    assert roles == {
        "7000000000000000002": (accounts["late"], False, True, False),
        "7000000000000000003": (accounts["tracked"], False, True, False),
        "7000000000000000004": (None, True, False, True),
        "7000000000000000001": (accounts["adopted"], True, True, True),  # both roles now
        IG_PK: (None, True, False, True),  # "late" on TikTok is not the Instagram "late"
        "7000000000000000005": (accounts["tracked"], True, True, True),  # its author was unknown
    }
    assert (report.accounts_created, report.account_videos_created) == (2, 2)
    assert report.individual_videos_created == 2
    ig = await models.Video.get(organization_id=org.id, platform_video_id=IG_PK)
    assert (ig.shortcode, ig.url) == ("DfIE9izgATS", "https://www.instagram.com/p/DfIE9izgATS/")
    tt = await models.Video.get(organization_id=org.id, platform_video_id="7000000000000000002")
    assert tt.url == "https://www.tiktok.com/@late/video/7000000000000000002"
    late = await models.Account.get(id=accounts["late"])
    assert late.total_views == 10  # the account scope received its video's history


async def test_tiktok_plays_and_saves_are_ignored_and_empty_means_unknown(
    org: Org, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "values.csv",
        HEADER + ",following,posts",
        f"tiktok,video,creator,{TT_ID},,{day(-2)},,100,999,0,,,5,,",
        f"tiktok,video,creator,{TT_ID},,{day(-1)},,120,not-a-number,,,,-1,,",
        f"instagram,video,creator,{IG_PK},,{day(-1)},,,40,0,,,3,,",
        f"instagram,account,creator,,,{day(-1)},,,,,,,,7,",
    )

    report = await run(org, path)

    assert report.bad == 0
    mine = models.VideoSnapshot.filter(video__organization_id=org.id)
    tiktok = await mine.filter(video__platform_video_id=TT_ID).order_by("day")
    assert [(s.views, s.plays, s.likes, s.comments, s.saves) for s in tiktok] == [
        (100, 100, 0, None, None),
        (120, 120, None, None, None),
    ]
    instagram = await mine.get(video__platform_video_id=IG_PK)
    values = (instagram.views, instagram.plays, instagram.likes, instagram.shares)
    assert values == (None, 40, 0, None)
    assert instagram.saves == 3
    profile = await models.AccountSnapshot.get(account__organization_id=org.id)
    assert (profile.followers, profile.following, profile.posts) == (None, 7, None)


async def test_published_at_from_the_file_updates_an_existing_video(
    org: Org, tmp_path: Path
) -> None:
    row = f"tiktok,video,creator,{TT_ID},{{}},{day(-1)},,100,,,,,"
    await run(org, write(tmp_path, "a.csv", HEADER, row.format("")))
    video = await models.Video.get(organization_id=org.id, platform_video_id=TT_ID)
    assert video.published_at is None
    published = datetime.combine(today_utc() - timedelta(days=5), datetime.min.time(), UTC)

    await run(org, write(tmp_path, "b.csv", HEADER, row.format(f"{day(-5)}T10:30:00+02:00")))

    await video.refresh_from_db()
    assert video.published_at == published + timedelta(hours=8, minutes=30)
    known = await models.MetricScope.get(scope_kind=ScopeKind.VIDEO, scope_id=video.id)
    assert known.views_from == published.date()  # the first views went to the publish date


QUERY = """
query($range: DateRangeInput!) {
  accounts { nodes {
    handle
    metrics(window: {range: $range}) {
      followers followersChange videosPublished views plays likes comments shares saves
      engagementRate coverage
    }
    series(window: {range: $range}) { followers views likes observed }
    videos { nodes { videoId metrics(window: {range: $range}) { views plays likes saves } } }
  } }
  individualVideos { nodes {
    videoId metrics(window: {range: $range}) { views plays likes comments shares saves coverage }
  } }
  organization { metrics(window: {range: $range}) {
    followers followersChange views plays likes comments shares saves coverage
  } }
}
"""


async def test_graphql_metrics_after_import_equal_the_hand_computed_values(
    org: Org, tmp_path: Path
) -> None:
    # given: a post published 4 days ago, first seen 3 days ago; views unknown 2 days ago;
    # saves first known yesterday (so attributed to the publish date, outside the window)
    path = write(
        tmp_path,
        "tiny.csv",
        HEADER,
        f"instagram,account,alpha,,,{day(-3)},100,,,,,,",
        f"instagram,video,alpha,{IG_PK},{day(-4)}T12:00:00Z,{day(-3)},,1000,,100,10,,",
        f"instagram,video,alpha,{IG_PK},,{day(-2)},,,,150,12,,",
        f"instagram,video,alpha,{IG_PK},,{day(-1)},,1500,,160,12,,7",
        f"instagram,account,alpha,,,{day(-1)},130,,,,,,",
        f"tiktok,video,guest.chef,{TT_ID},,{day(-2)},,50,999,5,1,0,5",
    )
    await run(org, path)
    window = {"start": day(-3), "end": day(0)}

    data = (await org.gql(QUERY, {"range": window})).data

    (account,) = data["accounts"]["nodes"]
    assert account["metrics"] == {
        "followers": 130,
        "followersChange": 30,
        "videosPublished": 0,
        "views": 500,  # the first 1000 went to the publish date, before the window
        "plays": None,
        "likes": 60,
        "comments": 2,
        "shares": None,
        "saves": 0,
        "engagementRate": pytest.approx(62 / 500 * 100),
        "coverage": 0.75,
    }
    assert account["series"] == {
        "followers": [100, 100, 130, 130],
        "views": [0, 0, 500, 0],
        "likes": [0, 50, 10, 0],
        "observed": [True, True, True, False],
    }
    assert account["videos"]["nodes"] == [
        {"videoId": IG_PK, "metrics": {"views": 500, "plays": None, "likes": 60, "saves": 0}}
    ]
    assert data["individualVideos"]["nodes"] == [
        {
            "videoId": TT_ID,
            "metrics": {
                "views": 50,
                "plays": 50,
                "likes": 5,
                "comments": 1,
                "shares": 0,
                "saves": None,
                "coverage": 0.25,
            },
        }
    ]
    assert data["organization"]["metrics"] == {
        "followers": 130,
        "followersChange": 30,
        "views": 550,
        "plays": 50,
        "likes": 65,
        "comments": 3,
        "shares": 0,
        "saves": 0,
        "coverage": 0.75,
    }
    wide = (await org.gql(QUERY, {"range": {"start": day(-4), "end": day(0)}})).data
    (video,) = wide["accounts"]["nodes"][0]["videos"]["nodes"]
    assert video["metrics"] == {"views": 1500, "plays": None, "likes": 160, "saves": 7}


# --- the command line --------------------------------------------------------------------------


def test_the_import_command(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    assert run_cli("migrate", database=database).returncode == 0
    assert run_cli("org", "create", "Acme", database=database).returncode == 0

    imported = run_cli("import", "--org", "1", str(FIXTURES / "example.csv"), database=database)
    assert imported.returncode == 0, imported.stderr
    assert "rows read:             29" in imported.stdout
    assert "accounts in file:      2 (2 created)" in imported.stdout
    assert "videos in file:        4 (4 created: 3 account, 1 individual)" in imported.stdout
    assert "observations recorded: 29 (29 new snapshot days)" in imported.stdout
    assert imported.stderr == ""  # not a terminal: no progress line

    jsonl = tmp_path / "history.jsonl"
    jsonl.write_bytes((FIXTURES / "example.ndjson").read_bytes())
    again = run_cli("import", "--org", "1", str(jsonl), database=database)
    assert again.returncode == 0, again.stderr
    assert "observations recorded: 29 (0 new snapshot days)" in again.stdout

    bad = tmp_path / "bad.txt"
    bad.write_text(f"{HEADER}\ntiktok,account,ok.one,,,2026-11-01,1,,,,,,\n" + "x\n" * 60)
    errors = tmp_path / "errors.csv"
    some_bad = run_cli(
        "import",
        "--org",
        "1",
        "--format",
        "csv",
        "--errors",
        str(errors),
        str(bad),
        database=database,
    )
    assert some_bad.returncode == 1, some_bad.stderr
    assert "bad rows (skipped):    60" in some_bad.stdout
    assert "line 3: has 1 field, the header has 13" in some_bad.stdout
    assert "... and 10 more (--errors FILE writes them all)" in some_bad.stdout
    assert len(errors.read_text().splitlines()) == 61

    unknown_org = run_cli("import", "--org", "9", str(FIXTURES / "example.csv"), database=database)
    assert unknown_org.returncode == 2
    assert "error: no organization 9" in unknown_org.stderr
    unknown_format = run_cli("import", "--org", "1", str(bad), database=database)
    assert unknown_format.returncode == 2
    assert "pass --format csv|ndjson" in unknown_format.stderr
