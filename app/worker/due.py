"""What is due for a refresh: the keys the scheduler enqueues jobs for."""

from __future__ import annotations

from datetime import datetime

from app import models
from app.identifiers import Platform
from app.platforms.interface import ReadKind

__all__ = ["due_refreshes"]


async def due_refreshes(now: datetime, limit: int = 5000) -> list[tuple[ReadKind, str, str]]:
    """What is due: (kind, platform, key) for profiles first, then individual posts."""
    accounts = (
        await models.Account.filter(next_scrape_at__lte=now)
        .order_by("next_scrape_at")
        .limit(limit)
        .values_list("platform", "handle")
    )
    videos = (
        await models.Video.filter(is_individual=True, next_scrape_at__lte=now)
        .order_by("next_scrape_at")
        .limit(limit)
        .values_list("platform", "platform_video_id")
    )
    due = [(ReadKind.PROFILE, str(Platform(p)), str(h)) for p, h in accounts]
    due += [(ReadKind.VIDEO, str(Platform(p)), str(m)) for p, m in videos]
    return list(dict.fromkeys(due))
