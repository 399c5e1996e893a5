"""Running an import in two streaming passes over the file.

1. Scan: validate every record, report the bad ones, and collect the entities (accounts declared
   by the file; videos with their author and publish time) and how many good rows each has.
   Memory is O(entities), never O(rows). The good records go to temporary bucket files by
   entity (`app.importer.spill`).
2. Create the missing accounts and videos (and reconcile existing videos).
3. Record: read the buckets, one after the other, and hand the observations to the metric
   store, the same code refreshes use. A bucket holds every row of its entities (however they
   are spread over the file) and about `batch_size` observations, which wait in memory; then
   they are written in batches of at most `MAX_BATCH_ENTITIES` entities, each batch in one
   transaction: a failure (the database refusing a write, a bug) leaves none of that batch
   behind, and `ImportFailed` says how far the import got. Batches written before stay: they
   are complete observations, and importing the same file again writes the rest (the store
   merges with what it holds, so an entity whose rows span two batches is correct).
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
from tempfile import TemporaryDirectory

from app import models
from app.importer.entities import Entity, Key, Plan, VideoEntity, create_accounts, prepare_videos
from app.importer.report import BAD_ROWS_KEPT, ImportFailed, ImportReport, Progress
from app.importer.rows import (
    AccountRow,
    BadRow,
    ImportUsageError,
    Record,
    VideoRow,
    detect_format,
    read_records,
)
from app.importer.spill import BUCKET_END, Spill
from app.metrics import store
from app.metrics.windows import today_utc
from app.services.tenancy import Tenant

__all__ = ["DEFAULT_BATCH_SIZE", "MAX_BATCH_ENTITIES", "import_file"]

# Observations waiting in memory before they are written. In a file sorted by date every flush
# re-derives each entity's history so far: fewer flushes save time, each costs memory.
DEFAULT_BATCH_SIZE = 50_000
# Entities per batch (transaction). A batch holds its organization's write lock until it
# commits (≈ 0.2–1 s for 100 entities with a year of history each): a refresh of that
# organization waits that long, well under the worker's statement timeout. Its memory is the
# entities' whole histories, read and derived at once.
MAX_BATCH_ENTITIES = 100


async def import_file(
    organization_id: int,
    path: Path,
    *,
    fmt: str | None = None,
    errors_path: Path | None = None,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_entities: int = MAX_BATCH_ENTITIES,
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
            spill_dir = Path(stack.enter_context(TemporaryDirectory(prefix="creatoraudit-import-")))
            spill = Spill.for_file(spill_dir, path, batch_size)
            stack.callback(spill.close)
            plan = _scan(rows, report, errors, progress, spill)
            tenant = Tenant(organization_id)
            before = await _snapshot_count(organization_id)
            await create_accounts(tenant, plan, report, progress)
            await prepare_videos(tenant, plan, report, progress)
            await _record(spill.records(), plan, report, progress, (batch_size, batch_entities))
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
    spill: Spill,
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
            spill.add(record)
        else:
            spill.add(record)
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
    videos = await models.VideoSnapshot.filter(organization_id=organization_id).count()
    profiles = await models.AccountSnapshot.filter(organization_id=organization_id).count()
    return videos + profiles


@dataclass
class _Waiting:
    """Observations waiting in memory to be written, by entity and date."""

    profiles: dict[Key, dict[date, store.ProfileCounters]] = field(default_factory=dict)
    videos: dict[Key, dict[date, store.VideoCounters]] = field(default_factory=dict)
    observations: int = 0
    done: int = 0  # entities whose last row is waiting here


async def _record(
    records: Iterator[AccountRow | VideoRow | None],
    plan: Plan,
    report: ImportReport,
    progress: Progress | None,
    sizes: tuple[int, int],
) -> None:
    batch_size, batch_entities = sizes
    waiting = _Waiting()
    midnights: dict[date, datetime] = {}
    if progress is not None:
        progress.update("recording", report)
    for record in records:
        if record is BUCKET_END:  # every entity of the bucket is complete: write them
            if waiting.observations:
                waiting = await _write(waiting, plan, report, progress, batch_entities)
            continue
        observed_at = midnights.get(record.day)
        if observed_at is None:
            observed_at = midnights[record.day] = datetime.combine(
                record.day, datetime.min.time(), UTC
            )
        entity: Entity | None
        if isinstance(record, AccountRow):
            entity = plan.accounts[(record.platform, record.handle)]
            bucket_p = waiting.profiles.setdefault((record.platform, record.handle), {})
            waiting.observations += record.day not in bucket_p
            bucket_p[record.day] = store.ProfileCounters(
                observed_at, record.followers, record.following, record.posts
            )
        else:
            entity = plan.videos[(record.platform, record.video_id)]
            bucket_v = waiting.videos.setdefault((record.platform, record.video_id), {})
            waiting.observations += record.day not in bucket_v
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
        waiting.done += entity.rows == 0
        if waiting.observations >= batch_size:
            waiting = await _write(waiting, plan, report, progress, batch_entities)
    await _write(waiting, plan, report, progress, batch_entities)


async def _write(
    waiting: _Waiting,
    plan: Plan,
    report: ImportReport,
    progress: Progress | None,
    batch_entities: int,
) -> _Waiting:
    """Write what is waiting, in batches of one transaction each; return an empty buffer."""
    profiles = [
        (entity.id, list(bucket.values()))
        for key, bucket in waiting.profiles.items()
        if (entity := plan.accounts[key]).id is not None
    ]
    videos = [
        (entity.id, list(bucket.values()))
        for key, bucket in waiting.videos.items()
        if (entity := plan.videos[key]).id is not None
    ]
    for start in range(0, len(profiles) + len(videos), batch_entities):
        stop = start + batch_entities
        batch_profiles = dict(profiles[start:stop])
        batch_videos = dict(videos[max(0, start - len(profiles)) : max(0, stop - len(profiles))])
        try:
            await store.record_many(batch_profiles, batch_videos)
        except Exception as exc:
            raise ImportFailed(report, exc) from exc
        report.observations += sum(map(len, batch_profiles.values()))
        report.observations += sum(map(len, batch_videos.values()))
        if stop < len(profiles) + len(videos) and progress is not None:
            progress.update("recording", report)
    report.entities_done += waiting.done
    if progress is not None:
        progress.update("recording", report)
    return _Waiting()
