"""TikTok Research API client: `TikTokClient` returns `Profile` and `Post` values."""

from app.platforms.tiktok.client import TikTokClient, seconds_to_utc_midnight

__all__ = ["TikTokClient", "seconds_to_utc_midnight"]
