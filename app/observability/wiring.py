"""What the composition roots call: the sampler of a process, from its settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.observability.samplers import BudgetView, Counted, QueueView, Sampler
from app.platforms.budget import RedisBudget
from app.settings import Settings


def budget_sizes(settings: Settings) -> dict[str, tuple[int, float]]:
    """Each platform's budget: requests per window, window seconds."""
    ig, tt = settings.instagram, settings.tiktok
    return {
        "INSTAGRAM": (ig.budget_requests, ig.budget_window_seconds),
        "TIKTOK": (tt.budget_requests, tt.budget_window_seconds),
    }


def shared_budgets(settings: Settings, redis: Any, queue_name: str) -> dict[str, RedisBudget]:
    """The workers' budgets in Redis, as `creatoraudit worker` names them, to read them."""
    return {
        platform: RedisBudget(redis, f"{queue_name}:{platform}", limit, window)
        for platform, (limit, window) in budget_sizes(settings).items()
    }


def sampler_for(
    settings: Settings, redis: Any | None, queue_name: str, budgets: Mapping[str, Counted]
) -> Sampler:
    """Samples the queue (when there is Redis) and the given budgets, keyed by platform name."""
    sizes = budget_sizes(settings)
    views = [
        BudgetView(platform, budget, *sizes[platform])
        for platform, budget in budgets.items()
        if platform in sizes
    ]
    queue = QueueView(redis, queue_name) if redis is not None else None
    return Sampler(queue, views)
