"""Running an import in two streaming passes over the file.

1. Scan: validate every record, report the bad ones, and collect the entities (accounts declared
   by the file; videos with their author and publish time) and how many good rows each has.
   Memory is O(entities), never O(rows).
2. Create the missing accounts and videos (and reconcile existing videos).
3. Record: stream the file again and hand each entity's observations to the metric store, the
   same functions refreshes use. An entity is flushed as soon as its last row has been read;
   when more than `batch_size` observations are waiting, everything waiting is flushed. The
   store merges with what it already holds, so several calls for one entity are correct.
"""

from __future__ import annotations

import csv
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

from app import models
from app.importer.entities import Entity, Key, Plan, VideoEntity, create_accounts, prepare_videos
from app.importer.report import BAD_ROWS_KEPT, ImportReport, Progress
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

__all__ = ["DEFAULT_BATCH_SIZE", "import_file"]

DEFAULT_BATCH_SIZE = 20_000  # observations waiting in memory before a flush


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


async def _record(
    records: Iterator[Record],
    plan: Plan,
    report: ImportReport,
    progress: Progress | None,
    batch_size: int,
) -> None:
    videos: dict[Key, dict[date, store.VideoCounters]] = {}
    profiles: dict[Key, dict[date, store.ProfileCounters]] = {}
    midnights: dict[date, datetime] = {}
    waiting = 0
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
            key = (record.platform, record.handle)
            entity = plan.accounts.get(key)
            if entity is None:
                continue  # the file changed since the scan
            bucket_p = profiles.setdefault(key, {})
            waiting += record.day not in bucket_p
            bucket_p[record.day] = store.ProfileCounters(
                observed_at, record.followers, record.following, record.posts
            )
        else:
            key = (record.platform, record.video_id)
            entity = plan.videos.get(key)
            if entity is None:
                continue
            bucket_v = videos.setdefault(key, {})
            waiting += record.day not in bucket_v
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
        if entity.rows == 0:
            report.entities_done += 1
            if isinstance(record, AccountRow):
                waiting -= await _flush_profile(entity, profiles.pop(key), report)
            else:
                waiting -= await _flush_video(entity, videos.pop(key), report)
            if progress is not None:
                progress.update("recording", report)
        elif waiting >= batch_size:
            await _flush_all(plan, profiles, videos, report, progress)
            waiting = 0
    # Only when the file changed since the scan are there rows left here.
    await _flush_all(plan, profiles, videos, report, progress)


async def _flush_all(
    plan: Plan,
    profiles: dict[Key, dict[date, store.ProfileCounters]],
    videos: dict[Key, dict[date, store.VideoCounters]],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    for key, profile_bucket in profiles.items():
        await _flush_profile(plan.accounts[key], profile_bucket, report)
        if progress is not None:
            progress.update("recording", report)
    for key, video_bucket in videos.items():
        await _flush_video(plan.videos[key], video_bucket, report)
        if progress is not None:
            progress.update("recording", report)
    profiles.clear()
    videos.clear()


async def _flush_profile(
    entity: Entity, bucket: dict[date, store.ProfileCounters], report: ImportReport
) -> int:
    if entity.id is not None:
        await store.record_profile(entity.id, list(bucket.values()))
        report.observations += len(bucket)
    return len(bucket)


async def _flush_video(
    entity: Entity, bucket: dict[date, store.VideoCounters], report: ImportReport
) -> int:
    if entity.id is not None:
        await store.record_video(entity.id, list(bucket.values()))
        report.observations += len(bucket)
    return len(bucket)
