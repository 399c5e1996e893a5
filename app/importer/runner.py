"""Running an import in two streaming passes over the file.

1. Scan: validate every record, report the bad ones, and collect the entities (accounts declared
   by the file; videos with their author and publish time) and how many good rows each has.
   Memory is O(entities), never O(rows).
2. Create the missing accounts and videos (and reconcile existing videos).
3. Record: stream the file again and hand the observations to the metric store, the same
   code refreshes use, in batches of at most `batch_size` observations and
   `MAX_BATCH_ENTITIES` entities. A batch is written in one transaction: a failure (the
   database gone, a bug) leaves none of it behind, and `ImportFailed` says how far the import
   got. Batches written before stay: they are complete observations, and importing the same
   file again writes the rest (the store merges with what it holds, so an entity whose rows
   span two batches is correct).
"""

from __future__ import annotations

import csv
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from app import models
from app.importer.entities import Entity, Key, Plan, VideoEntity, create_accounts, prepare_videos
from app.importer.report import BAD_ROWS_KEPT, ImportFailed, ImportReport, Progress
from app.importer.rows import (
    AccountRow,
    BadRow,
    ImportUsageError,
    Record,
    detect_format,
    read_records,
)
from app.metrics import store
from app.metrics.windows import today_utc
from app.services.tenancy import Tenant

__all__ = ["DEFAULT_BATCH_SIZE", "MAX_BATCH_ENTITIES", "import_file"]

DEFAULT_BATCH_SIZE = 20_000  # observations waiting in memory before a batch is written
# Entities per batch: each holds a row lock (an advisory lock on PostgreSQL, whose lock table
# is shared and bounded) until its batch commits.
MAX_BATCH_ENTITIES = 500


async def import_file(
    organization_id: int,
    path: Path,
    *,
    fmt: str | None = None,
    errors_path: Path | None = None,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    today: date | None = None,
) -> ImportReport:
    """Import a CSV or NDJSON file of historical snapshots into an organization.

    Raises:
        ImportUsageError: nothing was imported: unknown format or organization, unreadable
            file, a CSV header without the required columns, an unwritable errors file.
    """
    started = time.monotonic()
    kind = detect_format(path, fmt)
    if not await models.Organization.filter(id=organization_id).exists():
        raise ImportUsageError(f"no organization {organization_id}")
    today = today or today_utc()
    records = read_records(path, kind, today)
    first = next(records, None)  # opens the file and reads the header: usage errors first
    report = ImportReport()
    try:
        with ExitStack() as stack:
            stack.callback(records.close)  # also when the errors file cannot be written
            errors: Callable[[BadRow], object] | None = None
            if errors_path is not None:
                try:
                    target = stack.enter_context(
                        errors_path.open("w", newline="", encoding="utf-8")
                    )
                except OSError as exc:
                    raise ImportUsageError(f"cannot write {errors_path}: {exc.strerror}") from exc
                writer = csv.writer(target)
                writer.writerow(["line", "reason"])
                errors = lambda bad: writer.writerow([bad.line, bad.reason])  # noqa: E731
            rows = records if first is None else itertools.chain([first], records)
            plan = _scan(rows, report, errors, progress)
        tenant = Tenant(organization_id)
        before = await _snapshot_count(organization_id)
        await create_accounts(tenant, plan, report, progress)
        await prepare_videos(tenant, plan, report, progress)
        await _record(read_records(path, kind, today), plan, report, progress, batch_size)
        report.snapshots_added = await _snapshot_count(organization_id) - before
    finally:
        if progress is not None:
            progress.finish()
    report.seconds = time.monotonic() - started
    return report


def _scan(
    records: Iterator[Record],
    report: ImportReport,
    errors: Callable[[BadRow], object] | None,
    progress: Progress | None,
) -> Plan:
    plan = Plan()
    if progress is not None:
        progress.update("reading", report)
    for record in records:
        report.rows_read += 1
        if isinstance(record, BadRow):
            report.bad += 1
            if len(report.bad_rows) < BAD_ROWS_KEPT:
                report.bad_rows.append(record)
            if errors is not None:
                errors(record)
        elif isinstance(record, AccountRow):
            key = (record.platform, sys.intern(record.handle))
            plan.accounts.setdefault(key, Entity()).rows += 1
        else:
            video = plan.videos.get((record.platform, record.video_id))
            if video is None:
                video = plan.videos[(record.platform, record.video_id)] = VideoEntity()
            video.rows += 1
            video.handle = sys.intern(record.handle)
            if record.published_at is not None:
                video.published_at = record.published_at
        if progress is not None and report.rows_read % 1024 == 0:
            report.accounts, report.videos = len(plan.accounts), len(plan.videos)
            progress.update("reading", report)
    report.accounts, report.videos = len(plan.accounts), len(plan.videos)
    if progress is not None:
        progress.update("reading", report)
    return plan


async def _snapshot_count(organization_id: int) -> int:
    videos = await models.VideoSnapshot.filter(video__organization_id=organization_id).count()
    profiles = await models.AccountSnapshot.filter(account__organization_id=organization_id).count()
    return videos + profiles


@dataclass
class _Batch:
    """Observations waiting to be written together, by entity and date."""

    profiles: dict[Key, dict[date, store.ProfileCounters]] = field(default_factory=dict)
    videos: dict[Key, dict[date, store.VideoCounters]] = field(default_factory=dict)
    observations: int = 0
    done: int = 0  # entities whose last row is in this batch

    @property
    def entities(self) -> int:
        """Entities with observations in the batch (each holds a lock while it is written)."""
        return len(self.profiles) + len(self.videos)


async def _record(
    records: Iterator[Record],
    plan: Plan,
    report: ImportReport,
    progress: Progress | None,
    batch_size: int,
) -> None:
    batch = _Batch()
    midnights: dict[date, datetime] = {}
    if progress is not None:
        progress.update("recording", report)
    for record in records:
        if isinstance(record, BadRow):
            continue
        observed_at = midnights.get(record.day)
        if observed_at is None:
            observed_at = midnights[record.day] = datetime.combine(
                record.day, datetime.min.time(), UTC
            )
        entity: Entity | None
        if isinstance(record, AccountRow):
            entity = plan.accounts.get((record.platform, record.handle))
            if entity is None:
                continue  # the file changed since the scan
            bucket_p = batch.profiles.setdefault((record.platform, record.handle), {})
            batch.observations += record.day not in bucket_p
            bucket_p[record.day] = store.ProfileCounters(
                observed_at, record.followers, record.following, record.posts
            )
        else:
            entity = plan.videos.get((record.platform, record.video_id))
            if entity is None:
                continue
            bucket_v = batch.videos.setdefault((record.platform, record.video_id), {})
            batch.observations += record.day not in bucket_v
            bucket_v[record.day] = store.VideoCounters(
                observed_at,
                record.views,
                record.plays,
                record.likes,
                record.comments,
                record.shares,
                record.saves,
            )
        entity.rows -= 1
        batch.done += entity.rows == 0
        if batch.observations >= batch_size or batch.entities >= MAX_BATCH_ENTITIES:
            batch = await _write(batch, plan, report, progress)
    await _write(batch, plan, report, progress)


async def _write(
    batch: _Batch, plan: Plan, report: ImportReport, progress: Progress | None
) -> _Batch:
    """Write a batch in one transaction (all of it or nothing); return an empty one."""
    profiles = {
        entity.id: list(bucket.values())
        for key, bucket in batch.profiles.items()
        if (entity := plan.accounts[key]).id is not None
    }
    videos = {
        entity.id: list(bucket.values())
        for key, bucket in batch.videos.items()
        if (entity := plan.videos[key]).id is not None
    }
    if profiles or videos:
        try:
            await store.record_many(profiles, videos)
        except Exception as exc:
            raise ImportFailed(report, exc) from exc
    report.observations += sum(map(len, profiles.values())) + sum(map(len, videos.values()))
    report.entities_done += batch.done
    if progress is not None:
        progress.update("recording", report)
    return _Batch()
