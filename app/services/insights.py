"""Instagram owner media insights (saves, shares) for the accounts their owner connected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app import models
from app.platforms.errors import AuthExpired, UpstreamError
from app.platforms.interface import Insight, PlatformClient
from app.platforms.values import Post
from app.security.crypto import SecretBox

EXPIRED = (
    "Instagram refused the owner's token (expired, revoked or invalid): reconnect the account "
    "with connectAccount to get saves and shares again"
)
NO_INSIGHTS = (
    "Instagram refused the owner's token for every post: reconnect the account with "
    "connectAccount and a token of its owner to get saves and shares ({detail})"
)


@dataclass(frozen=True, slots=True)
class OwnerInsights:
    """What one refresh read from owner insights, and which accounts may have it."""

    by_media: dict[str, Insight] = field(default_factory=dict)  # by `Post.media_id`
    granted: frozenset[int] = frozenset()  # account ids whose own token reads these insights
    refused: dict[int, str] = field(default_factory=dict)  # account id → why its token failed

    def for_account(self, account_id: int) -> dict[str, Insight] | None:
        """The insights this account may record, or None when it is not (validly) connected."""
        return self.by_media if account_id in self.granted else None


async def owner_insights(
    client: PlatformClient,
    box: SecretBox | None,
    accounts: Sequence[models.Account],
    posts: Sequence[Post],
) -> OwnerInsights:
    """Saves and shares of `posts`, read with one owner token, for the accounts that hold one.

    The first working token reads every post; every other distinct token is checked with one
    call, so one organization's token never gives another organization data. A token that does
    not decrypt counts as not connected. Expired tokens (code 190) and tokens refused for every
    post are reported in `refused`; a post without insights (too few viewers, no permission)
    gets no entry. `RateLimited` and transient `UpstreamError` propagate, for the job to retry.
    """
    holders: dict[str, list[int]] = {}
    for account in sorted(accounts, key=lambda a: a.id):
        token = box.open(account.insights_token) if box and account.insights_token else None
        if token:
            holders.setdefault(token, []).append(account.id)
    media = [(p.media_id, p.graph_media_id) for p in posts if p.graph_media_id]
    read: dict[str, Insight] | None = None
    granted: list[int] = []
    refused: dict[int, str] = {}
    for token, owners in holders.items():
        if read is None:
            found, problem = await _read(client, token, media)
            if problem is None:
                read = found
        else:
            problem = await _check(client, token, media, read)
        if problem is not None:
            refused.update((owner, problem) for owner in owners)
        else:
            granted.extend(owners)
    return OwnerInsights(read or {}, frozenset(granted), refused)


async def _read(
    client: PlatformClient, token: str, media: list[tuple[str, str]]
) -> tuple[dict[str, Insight], str | None]:
    """Every post's insights with `token` by media id, and why the token is refused (if so)."""
    found: dict[str, Insight] = {}
    detail = ""
    for media_id, graph_media_id in media:
        try:
            found[media_id] = await client.media_insights(graph_media_id, token)
        except AuthExpired:
            return {}, EXPIRED  # every further call would be refused too
        except UpstreamError as error:
            if error.transient:
                raise
            detail = error.message.replace(token, "…")  # e.g. code 10: none for this post
    if media and not found:
        return {}, NO_INSIGHTS.format(detail=detail)
    return found, None


async def _check(
    client: PlatformClient,
    token: str,
    media: list[tuple[str, str]],
    read: dict[str, Insight],
) -> str | None:
    """None when `token` reads a post another owner token read, else why it is refused."""
    probe = next((graph for media_id, graph in media if media_id in read), None)
    if probe is None:
        return None  # nothing was read, so nothing is shared
    try:
        await client.media_insights(probe, token)
    except AuthExpired:
        return EXPIRED
    except UpstreamError as error:
        if error.transient:
            raise
        return NO_INSIGHTS.format(detail=error.message.replace(token, "…"))
    return None
