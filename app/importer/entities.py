"""The entities of an import file: collected by the scan, then found or created."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app import models
from app.identifiers import Platform
from app.importer.report import ImportReport, Progress
from app.metrics import store, versions
from app.platforms.registry import spec
from app.services.accounts import track_account
from app.services.tenancy import Tenant
from app.services.videos import canonical_post_url

__all__ = ["Entity", "Key", "Plan", "VideoEntity", "create_accounts", "prepare_videos"]

_CHUNK = 500  # ids per IN (...) query and rows per bulk insert

Key = tuple[Platform, str]  # (platform, handle) of an account, (platform, id) of a video


@dataclass(slots=True)
class Entity:
    """An account of the file: its good rows not yet recorded, and its id once known."""

    rows: int = 0  # good rows not yet recorded
    id: int | None = None


@dataclass(slots=True)
class VideoEntity(Entity):
    """A video of the file, with the author and publish time its rows give."""

    handle: str = ""  # author, from the last row
    published_at: datetime | None = None  # the last non-empty value


@dataclass
class Plan:
    """Every entity of the file: O(entities) memory, whatever the number of rows."""

    accounts: dict[Key, Entity] = field(default_factory=dict)
    videos: dict[Key, VideoEntity] = field(default_factory=dict)


async def _org_accounts(tenant: Tenant) -> dict[Key, int]:
    found = await tenant.accounts().values_list("platform", "handle", "id")
    return {(Platform(p), str(h)): int(i) for p, h, i in found}


async def create_accounts(
    tenant: Tenant, plan: Plan, report: ImportReport, progress: Progress | None
) -> None:
    """Create the file's missing accounts the way `trackAccount` does (due for refresh at once,
    adopting the organization's individual videos by the same author)."""
    existing = await _org_accounts(tenant)
    for (platform, handle), entity in plan.accounts.items():
        entity.id = existing.get((platform, handle))
        if entity.id is not None:
            continue
        outcome = await track_account(tenant, platform=platform, handle=handle, url=None)
        if outcome.value is None:  # the rows were validated with the same rules
            raise RuntimeError(f"cannot create {platform.label} account {handle!r}")
        entity.id = outcome.value.id
        report.accounts_created += int(outcome.created)
        if progress is not None:
            progress.update("creating", report)


async def prepare_videos(
    tenant: Tenant, plan: Plan, report: ImportReport, progress: Progress | None
) -> None:
    """Give every video of the file its id: reconcile the existing ones, create the others.

    Many small writes: the organization's data version moves once, after the last.
    """
    async with versions.batched(tenant.organization_id):
        await _prepare_videos(tenant, plan, report, progress)


async def _prepare_videos(
    tenant: Tenant, plan: Plan, report: ImportReport, progress: Progress | None
) -> None:
    accounts = await _org_accounts(tenant)  # existing ones and those the file just created
    now = datetime.now(UTC)
    keys = sorted(plan.videos, key=lambda k: (k[0].value, k[1]))
    for platform, group in itertools.groupby(keys, key=lambda k: k[0]):
        ids = [k[1] for k in group]
        for chunk in (ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
            found = {
                v.platform_video_id: v
                for v in await tenant.videos().filter(
                    platform=platform, platform_video_id__in=chunk
                )
            }
            fresh = []
            for video_id in chunk:
                entity = plan.videos[(platform, video_id)]
                if (video := found.get(video_id)) is not None:
                    entity.id = video.id
                    await _reconcile(video, entity, accounts, now)
                else:
                    fresh.append(_new_video(tenant, platform, video_id, entity, accounts, now))
            await _insert_videos(tenant, platform, fresh, plan, report)
            if progress is not None:
                progress.update("creating", report)


def _new_video(
    tenant: Tenant,
    platform: Platform,
    video_id: str,
    entity: VideoEntity,
    accounts: dict[Key, int],
    now: datetime,
) -> models.Video:
    account_id = accounts.get((platform, entity.handle))
    individual = account_id is None
    return models.Video(
        organization_id=tenant.organization_id,
        platform=platform,
        platform_video_id=video_id,
        shortcode=spec(platform).shortcode(video_id),
        url=canonical_post_url(platform, video_id, entity.handle),
        author_handle=entity.handle,
        published_at=entity.published_at,
        account_id=account_id,
        discovered_at=None if individual else now,
        is_individual=individual,
        individual_added_at=now if individual else None,
        next_scrape_at=now if individual else None,
    )


async def _insert_videos(
    tenant: Tenant,
    platform: Platform,
    fresh: list[models.Video],
    plan: Plan,
    report: ImportReport,
) -> None:
    if not fresh:
        return
    # A concurrent addVideo may win a race for one of them: keep its row, take its id.
    await models.Video.bulk_create(fresh, ignore_conflicts=True)
    ids = dict(
        await tenant.videos()
        .filter(platform=platform, platform_video_id__in=[v.platform_video_id for v in fresh])
        .values_list("platform_video_id", "id")
    )
    for video in fresh:
        plan.videos[(platform, video.platform_video_id)].id = ids.get(video.platform_video_id)
        if video.is_individual:
            report.individual_videos_created += 1
        else:
            report.account_videos_created += 1


async def _reconcile(
    video: models.Video, entity: VideoEntity, accounts: dict[Key, int], now: datetime
) -> None:
    """Bring an existing video in line with the file: publish time, author, account role."""
    updates: dict[str, object] = {}
    if entity.published_at is not None and video.published_at != entity.published_at:
        updates["published_at"] = entity.published_at
    if video.author_handle is None:
        updates["author_handle"] = video.author_handle = entity.handle
    if updates:
        await models.Video.filter(id=video.id).update(**updates)
    if "published_at" in updates:
        await store.rederive_video(video.id)  # the publish date anchors first values
    author = accounts.get((video.platform, video.author_handle))
    if video.account_id is None and author is not None:
        await store.set_video_account(video.id, author)
        await models.Video.filter(id=video.id, discovered_at__isnull=True).update(discovered_at=now)
