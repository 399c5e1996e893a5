"""Simulated history for the demo: 90 days of daily observations from the simulator's world.

The demo would otherwise start with empty charts; this records what the simulated platforms
would have shown on each past day, through the same store as real refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from app import models
from app.metrics import store, versions
from app.platforms.registry import PlatformSpec, spec
from app.simulator.world import ProfileState, World


def _reported(facts: PlatformSpec, name: str, value: int, insights: bool) -> int | None:
    """A simulated counter as a refresh would record it: None where it would not be read."""
    if name in facts.never_reported or (name in facts.insights_only and not insights):
        return None
    return value


async def backfill_organization(organization_id: int, world: World, days: int = 90) -> int:
    """Record `days` of simulated daily history for every account; returns posts recorded."""
    now = world.now()
    first_day = (now - timedelta(days=days - 1)).date()
    moments = [
        datetime.combine(first_day + timedelta(days=offset), time(22, 0), UTC)
        for offset in range(days - 1)
    ] + [now]
    async with versions.batched(organization_id):  # one data version move for the whole history
        return await _backfill(organization_id, world, now, moments)


async def _backfill(
    organization_id: int, world: World, now: datetime, moments: list[datetime]
) -> int:
    recorded = 0
    organization = await models.Organization.get(id=organization_id)
    for account in await models.Account.filter(organization_id=organization_id):
        simulated = world.profile(account.platform, account.handle)
        if simulated.state is not ProfileState.ACTIVE:
            continue
        # Saves and shares of Instagram posts come only from a connected owner's insights.
        insights = account.insights_token is not None and simulated.connected
        facts = spec(account.platform)
        await store.record_profile(
            account.id,
            [
                store.ProfileCounters(
                    m, followers=world.followers(simulated, m), following=simulated.following
                )
                for m in moments
            ],
        )
        cutoff = now - timedelta(days=organization.lookback_days)
        posts = [p for p in world.published_posts(simulated, now) if p.published_at >= cutoff]
        for post in posts[: organization.max_recent_posts]:
            video, _ = await models.Video.get_or_create(
                organization_id=organization_id,
                platform=account.platform,
                platform_video_id=str(post.media_id),
                defaults={
                    "account_id": account.id,
                    "author_handle": account.handle,
                    "shortcode": facts.shortcode(str(post.media_id)),
                    "url": post.url,
                    "caption": post.caption,
                    "media_type": post.media_type,
                    "published_at": post.published_at,
                    "discovered_at": now,
                },
            )
            observations = []
            for moment in moments:
                if moment < post.published_at:
                    continue
                counters = world.counters(post, moment)
                observations.append(
                    store.VideoCounters(
                        moment,
                        views=counters.views,
                        likes=counters.likes,
                        comments=counters.comments,
                        shares=_reported(facts, "shares", counters.shares, insights),
                        saves=_reported(facts, "saves", counters.saves, insights),
                    )
                )
            await store.record_video(video.id, observations)
            recorded += 1
    return recorded
