"""The scan's good records, spilled to temporary files by entity, for the recording pass.

A file sorted by date spreads every entity's rows over the whole file: recording it in file
order would write each entity again at every batch, re-deriving its whole history so far
(quadratic in its days). The scan instead appends each good record to one of a few bucket
files chosen by its entity, so the recording pass reads every entity's rows together, in file
order (the last row of an entity and date still wins), validated once, and writes each entity
once. A bucket holds about as many rows as one batch waits for in memory; memory stays bounded
by that, the disk holds about the file's size until the import ends.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import BinaryIO

from app.identifiers import Platform
from app.importer.rows import AccountRow, VideoRow

__all__ = ["BUCKET_END", "BYTES_PER_ROW", "Spill"]

BYTES_PER_ROW = 100  # a CSV row of the import format, roughly: sizes the buckets
BUCKET_END = None  # what `records` yields after each bucket's last record

_ACCOUNT, _VIDEO = 0, 1
_Values = tuple[int | str | None, ...]  # what marshal stores for one record


class Spill:
    """Bucket files of good records under `directory`, written by the scan, read once."""

    def __init__(self, directory: Path, buckets: int) -> None:
        self._paths = [directory / f"bucket-{i:04d}.marshal" for i in range(max(1, buckets))]
        self._files: list[BinaryIO] = [path.open("wb") for path in self._paths]

    @classmethod
    def for_file(cls, directory: Path, source: Path, rows_per_bucket: int) -> Spill:
        """Buckets for `source`, each of about `rows_per_bucket` rows."""
        size = source.stat().st_size
        return cls(directory, -(-size // (rows_per_bucket * BYTES_PER_ROW)))

    def add(self, record: AccountRow | VideoRow) -> None:
        """Append a good record to its entity's bucket."""
        if isinstance(record, AccountRow):
            key = record.handle
            values: _Values = (
                _ACCOUNT,
                record.platform.value,
                record.handle,
                record.day.toordinal(),
                record.followers,
                record.following,
                record.posts,
            )
        else:
            key = record.video_id
            values = (
                _VIDEO,
                record.platform.value,
                record.video_id,
                record.handle,
                record.day.toordinal(),
                record.views,
                record.plays,
                record.likes,
                record.comments,
                record.shares,
                record.saves,
            )
        bucket = zlib.crc32(f"{record.platform.value}:{key}".encode()) % len(self._files)
        marshal.dump(values, self._files[bucket])

    def close(self) -> None:
        """Finish writing (idempotent)."""
        for handle in self._files:
            handle.close()

    def records(self) -> Iterator[AccountRow | VideoRow | None]:
        """Every record, bucket after bucket, each bucket followed by `BUCKET_END`."""
        self.close()
        for path in self._paths:
            with path.open("rb") as handle:
                while True:
                    try:
                        values = marshal.load(handle)
                    except EOFError:
                        break
                    yield _record(values)
            path.unlink()
            yield BUCKET_END


def _count(value: int | str | None) -> int | None:
    return None if value is None else int(value)


def _record(values: _Values) -> AccountRow | VideoRow:
    kind, platform, key = values[0], Platform(str(values[1])), str(values[2])
    if kind == _ACCOUNT:
        day = date.fromordinal(int(str(values[3])))
        followers, following, posts = (_count(v) for v in values[4:7])
        return AccountRow(0, platform, key, day, followers, following, posts)
    day = date.fromordinal(int(str(values[4])))
    views, plays, likes, comments, shares, saves = (_count(v) for v in values[5:11])
    # The scan took the publish time into the plan already.
    return VideoRow(
        0, platform, key, str(values[3]), None, day, views, plays, likes, comments, shares, saves
    )
