"""The scan's good records go to bucket files by entity and come back whole, in file order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from app.identifiers import Platform
from app.importer.rows import AccountRow, VideoRow
from app.importer.spill import BUCKET_END, Spill


def _rows() -> list[AccountRow | VideoRow]:
    """Rows of 3 accounts and 5 videos, sorted by date as a daily export is."""
    rows: list[AccountRow | VideoRow] = []
    for d in range(1, 6):
        day = date(2026, 3, d)
        for a in range(3):
            rows.append(AccountRow(0, Platform.TIKTOK, f"acct{a}", day, 100 * d, None, d))
        for v in range(5):
            rows.append(
                VideoRow(
                    0,
                    Platform.INSTAGRAM,
                    str(9_000 + v),
                    f"acct{v % 3}",
                    datetime(2026, 3, 1, tzinfo=UTC),
                    day,
                    10 * d,
                    None,
                    d,
                    0,
                    None,
                    1,
                )
            )
    return rows


def test_every_record_comes_back_once_with_its_entity_whole_and_in_file_order(
    tmp_path: Path,
) -> None:
    spill = Spill(tmp_path, buckets=3)
    rows = _rows()
    for row in rows:
        spill.add(row)
    back = list(spill.records())
    assert back.count(BUCKET_END) == 3
    records = [r for r in back if r is not BUCKET_END]
    # every record once (the publish time stays with the scan's plan, not the spill)
    expected = [r if isinstance(r, AccountRow) else _without_publish(r) for r in rows]
    assert sorted(map(repr, records)) == sorted(map(repr, expected))
    # an entity's rows all in one bucket, in the order of the file
    buckets: list[list[AccountRow | VideoRow]] = [[]]
    for item in back:
        if item is BUCKET_END:
            buckets.append([])
        else:
            buckets[-1].append(item)
    entities = {key(r) for r in records}
    assert len(entities) == 8
    for entity in entities:
        assert sum(any(key(r) == entity for r in bucket) for bucket in buckets) == 1
    for bucket in buckets:
        for entity in {key(r) for r in bucket}:
            days = [r.day for r in bucket if key(r) == entity]
            assert days == sorted(days)
            assert sum(key(r) == entity for r in records) == 5
    assert not list(tmp_path.iterdir())  # read once, then gone


def key(row: AccountRow | VideoRow) -> tuple[Platform, str]:
    """The entity a row belongs to."""
    return row.platform, row.handle if isinstance(row, AccountRow) else row.video_id


def _without_publish(row: VideoRow) -> VideoRow:
    return VideoRow(
        row.line,
        row.platform,
        row.video_id,
        row.handle,
        None,
        row.day,
        row.views,
        row.plays,
        row.likes,
        row.comments,
        row.shares,
        row.saves,
    )
