"""The one settings object, read from CREATORAUDIT_* environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-insecure-secret-change-me"


class InstagramSettings(BaseModel):
    """Instagram Graph API (Business Discovery) endpoint and credentials."""

    base_url: str = "http://127.0.0.1:9000/instagram"
    api_version: str = "v25.0"
    ig_user_id: str = "17841405309211844"
    access_token: SecretStr = SecretStr("simulator-token")
    # Platform rate limits: 200 calls per user per rolling hour (PLATFORMS.md §1.7).
    budget_requests: int = Field(default=200, ge=1)
    budget_window_seconds: float = Field(default=3600, gt=0)
    # Once X-App-Usage reaches 95 %, send nothing for this long (a rolling hour drains slowly).
    usage_pause_seconds: float = Field(default=300, ge=0)


class TikTokSettings(BaseModel):
    """TikTok Research API endpoint and client credentials."""

    base_url: str = "http://127.0.0.1:9000/tiktok"
    client_key: str = "simulator-client"
    client_secret: SecretStr = SecretStr("simulator-secret")
    # Research API quota: 1,000 requests per project per UTC day (PLATFORMS.md §2.5).
    budget_requests: int = Field(default=1000, ge=1)
    budget_window_seconds: float = Field(default=86400, gt=0)


class WorkerSettings(BaseModel):
    """How refreshes run: concurrency, timeouts, retries and throttling back-off."""

    max_jobs: int = Field(default=10, ge=1, le=1000)
    job_timeout_seconds: int = Field(default=300, ge=1)
    # Embedded mode (no Redis): refreshes at once inside the API process.
    embedded_concurrency: int = Field(default=4, ge=1, le=100)
    schedule_every_seconds: float = Field(default=60.0, gt=0)
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    # Transient failures (5xx, timeouts, bad bodies): back-off base × 2^(n−1) with jitter.
    max_transient_tries: int = Field(default=8, ge=1, le=50)
    backoff_base_seconds: float = Field(default=10.0, ge=0)
    max_backoff_seconds: float = Field(default=3600.0, gt=0)
    # Throttling the platform does not time (no Retry-After or usage figure): first wait.
    throttle_backoff_seconds: float = Field(default=60.0, ge=0)
    # Longest single wait after throttling, even when the platform asks for more (TikTok's
    # daily quota: until 00:00 UTC). Lower it only where upstream throttles at random (tests).
    max_throttle_wait_seconds: float = Field(default=86400.0, ge=0)


class LimitSettings(BaseModel):
    """Bounds applied to every GraphQL operation before it runs."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_batch_ids: int = 200


class Settings(BaseSettings):
    """Runtime configuration. Nested groups use `__`: CREATORAUDIT_TIKTOK__BASE_URL."""

    model_config = SettingsConfigDict(
        env_prefix="CREATORAUDIT_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite://creatoraudit.sqlite3"
    redis_url: str | None = None
    # Without Redis, `serve` refreshes inside the API process (the one-command demo).
    embedded_worker: bool = True
    queue_name: str = "creatoraudit:refresh"
    secret_key: SecretStr = SecretStr(_DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    default_max_recent_posts: int = Field(default=50, ge=1, le=500)
    default_lookback_days: int = Field(default=90, ge=1, le=366)
    idempotency_ttl_seconds: int = Field(default=600, ge=1)
    limits: LimitSettings = LimitSettings()
    worker: WorkerSettings = WorkerSettings()
    instagram: InstagramSettings = InstagramSettings()
    tiktok: TikTokSettings = TikTokSettings()

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == _DEV_SECRET:
            raise ValueError("CREATORAUDIT_SECRET_KEY must be set in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")
