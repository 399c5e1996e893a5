"""Tracking and untracking accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from app import models
from app.identifiers import IdentifierError, Platform, parse_profile_ref
from app.metrics import store, versions
from app.platforms.registry import SPECS, spec
from app.security.crypto import SecretBox
from app.services.outcomes import Outcome
from app.services.tenancy import Tenant, pluck_ids

MIN_INTERVAL_HOURS = 1
MAX_INTERVAL_HOURS = 168
MAX_TOKEN_LENGTH = 4096
# The platforms whose owners may connect their accounts, for messages: "Instagram".
_CONNECTABLE = " and ".join(p.label for p, facts in SPECS.items() if facts.owner_insights)


def check_interval(hours: int | None, field: str = "scrapeIntervalHours") -> Outcome[int]:
    """Validate a refresh interval (1–168 hours)."""
    if hours is None:
        return Outcome(value=None)
    if not MIN_INTERVAL_HOURS <= hours <= MAX_INTERVAL_HOURS:
        return Outcome.fail(
            "OUT_OF_RANGE",
            f"scrapeIntervalHours must be between {MIN_INTERVAL_HOURS} and "
            f"{MAX_INTERVAL_HOURS}, got {hours}",
            field,
        )
    return Outcome(value=hours)


async def track_account(
    tenant: Tenant,
    *,
    platform: Platform | None,
    handle: str | None,
    url: str | None,
    scrape_interval_hours: int | None = None,
) -> Outcome[models.Account]:
    """Create the account, or return the existing one for the same platform and handle.

    A new account is due for refresh at once (`next_scrape_at` = now); the refresh pipeline
    picks it up from there, and `lastScrapeTime` stays null until that refresh completes.
    """
    try:
        platform, normalized = parse_profile_ref(platform=platform, handle=handle, url=url)
    except IdentifierError as exc:
        if exc.field is None:
            return Outcome.fail(exc.code, "Give exactly one of handle (+ platform) or url")
        return Outcome.fail(exc.code, exc.message, exc.field)
    interval = check_interval(scrape_interval_hours)
    if interval.problems:
        return Outcome(problems=interval.problems)
    existing = await tenant.accounts().filter(platform=platform, handle=normalized).first()
    if existing is not None:
        return Outcome(value=existing, created=False)
    try:
        async with versions.writing(tenant.organization_id):  # a savepoint inside a transaction
            account = await models.Account.create(
                organization_id=tenant.organization_id,
                platform=platform,
                handle=normalized,
                scrape_interval_hours=interval.value or 24,
                next_scrape_at=datetime.now(UTC),
            )
    except IntegrityError:
        # A concurrent request created it first: idempotent on (platform, handle).
        account = await tenant.accounts().get(platform=platform, handle=normalized)
        return Outcome(value=account, created=False)
    await _adopt_existing_videos(tenant, account)
    return Outcome(value=account, created=True)


async def _adopt_existing_videos(tenant: Tenant, account: models.Account) -> None:
    # Individual videos by this author become the account's videos too, history included.
    orphans = tenant.videos().filter(
        platform=account.platform, author_handle=account.handle, account_id__isnull=True
    )
    adopted = await pluck_ids(orphans)
    if not adopted:
        return
    async with versions.batched(tenant.organization_id):
        for video_id in adopted:
            await store.set_video_account(video_id, account.id)
        await models.Video.filter(account_id=account.id, discovered_at__isnull=True).update(
            discovered_at=datetime.now(UTC)
        )


async def update_account(
    tenant: Tenant, account_id: int, *, scrape_interval_hours: int | None
) -> Outcome[models.Account]:
    """Change an account's settings."""
    account = await tenant.accounts().filter(id=account_id).first()
    if account is None:
        return Outcome.fail("NOT_FOUND", "No such account", "id")
    interval = check_interval(scrape_interval_hours)
    if interval.problems:
        return Outcome(problems=interval.problems)
    if interval.value is not None:
        account.scrape_interval_hours = interval.value
        if account.last_scrape_at is not None:
            account.next_scrape_at = account.last_scrape_at + timedelta(hours=interval.value)
        async with versions.writing(tenant.organization_id):
            await account.save(update_fields=["scrape_interval_hours", "next_scrape_at"])
    return Outcome(value=account)


async def untrack_account(tenant: Tenant, account_id: int) -> Outcome[int]:
    """Stop tracking an account: delete it, its history and its feed-only videos.

    Videos also added by hand stay, as individual videos with their history.
    """
    account = await tenant.accounts().filter(id=account_id).first()
    if account is None:
        return Outcome.fail("NOT_FOUND", "No such account", "id")
    feed_only = await pluck_ids(tenant.videos().filter(account_id=account.id, is_individual=False))
    await store.forget_account(account.id, feed_only)
    async with versions.writing(tenant.organization_id):
        await models.Video.filter(id__in=feed_only).delete()
        # Hand-added posts stay; the account scope they belonged to is gone with the account.
        await (
            tenant.videos()
            .filter(account_id=account.id)
            .update(account_id=None, discovered_at=None)
        )
        await account.delete()
    return Outcome(value=account_id)


async def connect_account(
    tenant: Tenant, account_id: int, access_token: str, box: SecretBox
) -> Outcome[models.Account]:
    """Store the owner's Instagram token, sealed by `box`, and make the account due at once.

    The next refresh reads saves and shares from the owner's media insights. The token is never
    returned, and problems never quote it.
    """
    account = await tenant.accounts().filter(id=account_id).first()
    if account is None:
        return Outcome.fail("NOT_FOUND", "No such account", "id")
    if not spec(account.platform).owner_insights:
        message = f"Only {_CONNECTABLE} accounts can be connected for owner insights"
        return Outcome.fail("UNSUPPORTED", message, "id")
    token = access_token.strip()
    # Printable ASCII without spaces: it travels in an HTTP header.
    if not 1 <= len(token) <= MAX_TOKEN_LENGTH or not all(33 <= ord(c) <= 126 for c in token):
        return Outcome.fail(
            "INVALID_TOKEN",
            f"accessToken must hold 1 to {MAX_TOKEN_LENGTH} printable characters without spaces",
            "accessToken",
        )
    account.insights_token = box.seal(token)
    account.next_scrape_at = datetime.now(UTC)
    async with versions.writing(tenant.organization_id):
        await account.save(update_fields=["insights_token", "next_scrape_at"])
    return Outcome(value=account)


async def disconnect_account(tenant: Tenant, account_id: int) -> Outcome[models.Account]:
    """Forget the owner's token: refreshes stop reading insights (saves stay null from then on)."""
    account = await tenant.accounts().filter(id=account_id).first()
    if account is None:
        return Outcome.fail("NOT_FOUND", "No such account", "id")
    if account.insights_token is not None:
        async with versions.writing(tenant.organization_id):
            await tenant.accounts().filter(id=account.id).update(insights_token=None)
        await account.refresh_from_db(fields=["insights_token"])
    return Outcome(value=account)
