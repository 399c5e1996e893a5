"""The import benchmark runs end to end at a tiny scale; its file is deterministic and good."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from app.bench.import_bench import check_stored
from app.bench.import_data import ImportData, write_import_csv
from app.bench.import_report import (
    ImportBenchOptions,
    ImportBenchReport,
    Round,
    format_report,
    report_json,
)
from app.importer.rows import AccountRow, BadRow, ImportFormat, VideoRow, read_records
from tests.conftest import PG_ADMIN_URL
from tests.test_cli import run_cli

LAST_DAY = date(2026, 11, 30)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_command_imports_every_row_and_reports_the_ratio_to_copy(tmp_path: Path) -> None:
    done = run_cli(
        "benchmark-import",
        "--rows=3000",
        "--sqlite-rows=1000",
        f"--database-url={PG_ADMIN_URL}",
        database=tmp_path / "unused.sqlite3",  # the benchmark makes databases of its own
    )

    assert done.returncode in (0, 1), done.stderr  # 2: it could not run
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["benchmark"] == "import"
    assert line["rows"] == 3000
    assert line["accounts"] >= 1
    assert line["videos"] >= 1
    assert "database_url" not in line["options"]
    (measured,) = line["rounds"]
    assert measured["stored_rows"] == 3000  # one snapshot row per row of the file
    assert measured["copy_seconds"] > 0
    assert measured["import_seconds"] > measured["copy_seconds"]
    ratio = measured["import_seconds"] / measured["copy_seconds"]
    assert measured["ratio"] == pytest.approx(ratio, rel=0.01)
    assert line["ratio"]["median"] == measured["ratio"]
    assert line["import_rows_per_second"]["median"] == pytest.approx(
        3000 / measured["import_seconds"], rel=0.01
    )
    assert line["copy_rows_per_second"]["median"] == pytest.approx(
        3000 / measured["copy_seconds"], rel=0.01
    )
    assert 10 < line["import_peak_rss_mb"] < 1000
    sqlite = line["sqlite"]
    assert sqlite["rows"] == sqlite["stored_rows"] == 1000
    assert sqlite["rows_per_second"] == pytest.approx(1000 / sqlite["seconds"], rel=0.01)
    assert line["ok"] is (line["ratio"]["median"] <= 3.0)
    assert done.returncode == (0 if line["ok"] else 1)
    assert "ratio import / COPY" in done.stdout


def test_the_same_seed_writes_the_same_file(tmp_path: Path) -> None:
    first = write_import_csv(tmp_path / "a.csv", 5000, seed=3, last_day=LAST_DAY)
    second = write_import_csv(tmp_path / "b.csv", 5000, seed=3, last_day=LAST_DAY)
    other = write_import_csv(tmp_path / "c.csv", 5000, seed=4, last_day=LAST_DAY)

    assert digest(first.path) == digest(second.path)
    assert digest(other.path) != digest(first.path)
    assert (first.accounts, first.videos) == (second.accounts, second.videos)


@pytest.mark.parametrize("rows", [1, 9, 365, 366, 5000])
def test_every_row_is_good_and_a_distinct_entity_and_day(tmp_path: Path, rows: int) -> None:
    data = write_import_csv(tmp_path / "import.csv", rows, seed=7, last_day=LAST_DAY)

    records = list(read_records(data.path, ImportFormat.CSV, LAST_DAY))

    assert [r for r in records if isinstance(r, BadRow)] == []
    keys = {
        (r.platform, "account", r.handle, r.day)
        if isinstance(r, AccountRow)
        else (r.platform, "video", r.video_id, r.day)
        for r in records
        if not isinstance(r, BadRow)
    }
    assert len(records) == len(keys) == data.rows == rows
    assert min(r.day for r in records if not isinstance(r, BadRow)) >= data.first_day


def test_the_file_looks_like_history(tmp_path: Path) -> None:
    data = write_import_csv(tmp_path / "import.csv", 20_000, seed=7, last_day=LAST_DAY)
    records = list(read_records(data.path, ImportFormat.CSV, LAST_DAY))
    accounts = [r for r in records if isinstance(r, AccountRow)]
    videos = [r for r in records if isinstance(r, VideoRow)]

    assert len(accounts) == 2000  # a tenth of the rows
    assert len({r.platform for r in accounts}) == len({r.platform for r in videos}) == 2
    handles = {(r.platform, r.handle) for r in accounts}
    account_videos = {r.video_id for r in videos if (r.platform, r.handle) in handles}
    individual = {r.video_id for r in videos} - account_videos
    assert account_videos
    assert individual
    assert [r.day for r in records if not isinstance(r, BadRow)] == sorted(
        r.day for r in records if not isinstance(r, BadRow)
    )  # sorted by date, as a daily export
    views: dict[str, list[int]] = defaultdict(list)
    for row in videos:
        assert row.published_at is not None
        assert row.published_at.date() < row.day
        if row.views is not None:
            views[row.video_id].append(row.views)
    assert len(views) == data.videos
    assert all(series == sorted(series) for series in views.values())  # cumulative counts
    assert sum(series[-1] > series[0] for series in views.values()) > data.videos / 2
    followers = [r.followers for r in accounts if r.handle == accounts[0].handle]
    assert len(set(followers)) > len(followers) / 2  # they move from day to day


def test_no_rate_is_reported_for_an_import_that_lost_rows(tmp_path: Path) -> None:
    data = ImportData(tmp_path / "x.csv", 3000, 1, 12, LAST_DAY, LAST_DAY)

    check_stored("PostgreSQL", 3000, data)
    with pytest.raises(RuntimeError, match=r"stored 2,999 snapshot rows.*no ratio reported"):
        check_stored("PostgreSQL", 2999, data)


def test_the_target_is_the_median_ratio_over_the_rounds() -> None:
    rounds = [
        Round(
            1, "copy", copy_seconds=2.0, import_seconds=5.0, import_peak_rss_mb=70, stored_rows=9
        ),
        Round(
            2, "import", copy_seconds=2.0, import_seconds=7.0, import_peak_rss_mb=71, stored_rows=9
        ),
        Round(
            3, "copy", copy_seconds=1.0, import_seconds=2.0, import_peak_rss_mb=69, stored_rows=9
        ),
    ]
    report = ImportBenchReport(ImportBenchOptions(rows=9), 9, 1, 1, 365, 0.1, rounds, None)

    assert (report.ratio.min, report.ratio.median, report.ratio.max) == (2.0, 2.5, 3.5)
    assert report.ok
    line = json.loads(report_json(report))
    assert line["ratio"] == {"min": 2.0, "median": 2.5, "max": 3.5}
    assert [r["ratio"] for r in line["rounds"]] == [2.5, 3.5, 2.0]
    assert line["import_peak_rss_mb"] == 71
    assert line["ok"] is True
    assert "2.00 / 2.50 / 3.50" in format_report(report)
    slower = ImportBenchReport(ImportBenchOptions(rows=9), 9, 1, 1, 365, 0.1, [rounds[1]], None)
    assert not slower.ok
    assert "MISSED" in format_report(slower)
