"""Owner insights on refresh: saves and shares only for connected accounts, over HTTP, real DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from app import models
from app.identifiers import Platform
from app.models import Availability
from app.platforms.errors import RateLimited, UpstreamError
from app.security.crypto import SecretBox
from app.services.accounts import connect_account, disconnect_account, track_account
from app.services.refresh import PlatformClients, refresh_profile
from app.services.tenancy import Tenant
from app.services.video_refresh import refresh_video
from app.services.videos import add_video
from app.settings import Settings
from app.simulator.app import CLOCK, WORLD, create_simulator
from app.simulator.clock import SimClock
from app.simulator.world import SimPost, World
from tests.conftest import Org
from tests.platforms.simulated import simulated_clients

SEED = 23
NOW = datetime.now(UTC).replace(microsecond=0)
IG = Platform.INSTAGRAM


@dataclass
class Upstream:
    """What the simulator was asked, and an insights failure a test may switch on."""

    profiles: int = 0  # Business Discovery profile fetches
    insights: list[str] = field(default_factory=list)  # Graph media ids asked for insights
    fail_insights: tuple[int, str, int] | None = None  # (code, message, HTTP status) for all
    few_viewers: set[str] = field(default_factory=set)  # Graph media ids without insights

    def reset(self) -> None:
        self.profiles, self.insights = 0, []


UPSTREAM = web.AppKey("upstream", Upstream)


@web.middleware
async def _observe(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    upstream = request.app[UPSTREAM]
    if request.path.endswith("/insights"):
        media = request.path.rsplit("/", 2)[-2]
        upstream.insights.append(media)
        failure = upstream.fail_insights
        if media in upstream.few_viewers:
            failure = (10, "(#10) Not enough viewers for the media to show insights", 400)
        if failure is not None:
            code, message, status = failure
            envelope = {"message": message, "type": "OAuthException", "code": code}
            return web.json_response({"error": envelope}, status=status)
    elif "followers_count" in request.query.get("fields", ""):
        upstream.profiles += 1
    return await handler(request)


@pytest.fixture
async def simulator() -> AsyncIterator[TestServer]:
    """The simulator at a frozen moment, with every request observed."""
    app = create_simulator(seed=SEED, clock=SimClock(frozen=NOW))
    app[UPSTREAM] = Upstream()
    app.middlewares.append(_observe)
    server = TestServer(app)
    async with server:
        yield server


@pytest.fixture
async def clients(settings: Settings, simulator: TestServer) -> AsyncIterator[PlatformClients]:
    """Clients built the way the worker builds them (the secret box included)."""
    async with simulated_clients(settings, simulator) as built:
        yield built


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key.get_secret_value())


def upstream(simulator: TestServer) -> Upstream:
    return simulator.app[UPSTREAM]


def connected_handle(prefix: str, connected: bool = True) -> str:
    """The first `prefix.N` handle whose simulated owner has (not) connected insights."""
    world = World(seed=SEED)
    return next(
        handle
        for handle in (f"{prefix}.{n}" for n in range(100))
        if world.profile(IG, handle).connected is connected
    )


def sim_posts(simulator: TestServer, handle: str) -> dict[str, SimPost]:
    """The simulated posts of `handle` by media id (our `platform_video_id`)."""
    world = simulator.app[WORLD]
    return {str(p.media_id): p for p in world.profile(IG, handle).posts}


async def track(org: Org, handle: str) -> models.Account:
    outcome = await track_account(Tenant(org.id), platform=IG, handle=handle, url=None)
    assert outcome.value is not None
    return outcome.value


async def connect(org: Org, account: models.Account, token: str, box: SecretBox) -> None:
    outcome = await connect_account(Tenant(org.id), account.id, token, box)
    assert outcome.problems == []


async def videos(account: models.Account) -> list[models.Video]:
    rows = await models.Video.filter(account_id=account.id).order_by("id")
    assert rows, "the refresh discovered no posts"
    return rows


async def snapshots_on(account: models.Account, moment: datetime) -> list[models.VideoSnapshot]:
    return await models.VideoSnapshot.filter(
        video__account_id=account.id, day=moment.date()
    ).order_by("video_id")


async def test_only_the_connected_organization_gets_saves_and_shares_from_insights(
    make_org: Callable[[], Awaitable[Org]],
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
) -> None:
    owner, other = await make_org(), await make_org()
    handle = connected_handle(f"owner.{owner.id}")
    connected = await track(owner, handle)
    public = await track(other, handle)
    await connect(owner, connected, f"owner-{handle}", box)

    result = await refresh_profile(IG, handle, clients, now=NOW)

    assert result.availability is Availability.ACTIVE
    assert result.accounts == 2
    world, posts = simulator.app[WORLD], sim_posts(simulator, handle)
    owned = await videos(connected)
    for video in owned:
        expected = world.counters(posts[video.platform_video_id])
        assert (video.saves, video.shares) == (expected.saves, expected.shares)
        assert video.views == expected.views
    assert any(video.saves for video in owned)
    assert [(s.saves, s.shares) for s in await snapshots_on(connected, NOW)] == [
        (v.saves, v.shares) for v in owned
    ]
    # The other organization tracks the same profile without the owner's token: nothing.
    seen = await videos(public)
    assert {v.platform_video_id for v in seen} == {v.platform_video_id for v in owned}
    assert all(v.saves is None and v.shares is None for v in seen)
    assert all(v.comments is not None for v in seen)
    assert all(s.saves is None and s.shares is None for s in await snapshots_on(public, NOW))
    for account in (connected, public):
        row = await models.Account.get(id=account.id)
        assert row.availability is Availability.ACTIVE
        assert row.last_error is None
    # Fetched once for both organizations; insights once per post, with one token.
    calls = upstream(simulator)
    assert calls.profiles == 1
    assert sorted(calls.insights) == sorted(str(v.graph_media_id) for v in owned)


async def test_organizations_holding_the_same_owner_token_share_one_read(
    make_org: Callable[[], Awaitable[Org]],
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
) -> None:
    first, second = await make_org(), await make_org()
    handle = connected_handle(f"shared.{first.id}")
    accounts = [await track(first, handle), await track(second, handle)]
    await connect(first, accounts[0], f"owner-{handle}", box)
    await connect(second, accounts[1], f"owner-{handle}", box)

    await refresh_profile(IG, handle, clients, now=NOW)

    saves = [[v.saves for v in await videos(a)] for a in accounts]
    assert saves[0] == saves[1]
    assert any(saves[0])
    assert len(upstream(simulator).insights) == len(saves[0])


@pytest.mark.parametrize("wrong_first", [True, False])
async def test_one_organizations_token_never_serves_another(
    make_org: Callable[[], Awaitable[Org]],
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
    wrong_first: bool,
) -> None:
    orgs = [await make_org(), await make_org()]
    handle = connected_handle(f"tenancy.{orgs[0].id}")
    accounts = [await track(orgs[0], handle), await track(orgs[1], handle)]
    tokens = ["owner-someoneelse", f"owner-{handle}"]
    if not wrong_first:
        tokens.reverse()
    for org, account, token in zip(orgs, accounts, tokens, strict=True):
        await connect(org, account, token, box)

    await refresh_profile(IG, handle, clients, now=NOW)

    wrong, right = accounts if wrong_first else accounts[::-1]
    assert any(v.saves for v in await videos(right))
    assert all(v.saves is None and v.shares is None for v in await videos(wrong))
    refused = await models.Account.get(id=wrong.id)
    assert refused.availability is Availability.ACTIVE
    assert refused.last_error is not None
    assert "reconnect" in refused.last_error
    assert (await models.Account.get(id=right.id)).last_error is None
    posts = len(await videos(right))
    # The right token reads every post; the wrong one is refused for every post it tries
    # first, or checked with a single call once another token has read them.
    assert len(upstream(simulator).insights) == (2 * posts if wrong_first else posts + 1)


@pytest.mark.parametrize(
    ("token", "insight_calls"),
    [("garbage-token", 1), ("owner-someoneelse", None)],
    ids=["expired", "not-the-owner"],
)
async def test_a_refused_token_keeps_the_public_data_and_asks_to_reconnect(
    org: Org,
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
    token: str,
    insight_calls: int | None,
) -> None:
    handle = connected_handle(f"refused.{org.id}")
    account = await track(org, handle)
    await connect(org, account, token, box)

    result = await refresh_profile(IG, handle, clients, now=NOW)

    assert result.availability is Availability.ACTIVE
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ACTIVE
    assert row.last_scrape_at == NOW
    assert row.followers is not None
    assert row.last_error is not None
    assert row.last_error.startswith("Instagram refused the owner's token")
    assert "reconnect" in row.last_error
    assert token not in row.last_error
    assert row.last_error_at == NOW
    recorded = await videos(account)
    assert all(v.saves is None and v.shares is None for v in recorded)
    assert all(v.comments is not None for v in recorded)
    assert await models.VideoSnapshot.filter(video__account_id=account.id).count() == len(recorded)
    # Code 190 stops the insights calls at once; a permission refusal is per post.
    assert len(upstream(simulator).insights) == (insight_calls or len(recorded))
    # The next refresh that reads insights clears the error.
    await connect(org, account, f"owner-{handle}", box)
    await refresh_profile(IG, handle, clients, now=NOW + timedelta(minutes=5))
    fixed = await models.Account.get(id=account.id)
    assert fixed.last_error is None
    assert fixed.last_error_at is None
    assert any(v.saves for v in await videos(account))


async def test_a_post_without_insights_has_no_saves_and_is_no_error(
    org: Org, clients: PlatformClients, simulator: TestServer, box: SecretBox
) -> None:
    handle = connected_handle(f"viewers.{org.id}")
    account = await track(org, handle)
    await connect(org, account, f"owner-{handle}", box)
    published = [p for p in sim_posts(simulator, handle).values() if p.published_at <= NOW]
    newest = max(published, key=lambda p: p.published_at)
    upstream(simulator).few_viewers.add(newest.graph_id)

    await refresh_profile(IG, handle, clients, now=NOW)

    by_id = {v.platform_video_id: v for v in await videos(account)}
    assert by_id[str(newest.media_id)].saves is None
    assert by_id[str(newest.media_id)].shares is None
    assert any(v.saves for v in by_id.values())
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ACTIVE
    assert row.last_error is None


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        ((4, "(#4) Application request limit reached", 400), RateLimited),
        ((2, "Service temporarily unavailable", 503), UpstreamError),
    ],
    ids=["throttled", "transient"],
)
async def test_throttled_or_transient_insights_fail_the_refresh_for_a_retry(
    org: Org,
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
    failure: tuple[int, str, int],
    raised: type[Exception],
) -> None:
    handle = connected_handle(f"retry.{org.id}")
    account = await track(org, handle)
    await connect(org, account, f"owner-{handle}", box)
    upstream(simulator).fail_insights = failure

    with pytest.raises(raised) as caught:
        await refresh_profile(IG, handle, clients, now=NOW)

    assert not isinstance(caught.value, UpstreamError) or caught.value.transient
    row = await models.Account.get(id=account.id)
    assert (row.availability, row.last_scrape_at) == (Availability.PENDING, None)
    assert await models.Video.filter(account_id=account.id).count() == 0
    # The retry records everything once.
    upstream(simulator).fail_insights = None
    await refresh_profile(IG, handle, clients, now=NOW)
    await refresh_profile(IG, handle, clients, now=NOW)
    recorded = await videos(account)
    assert any(v.saves for v in recorded)
    assert await models.VideoSnapshot.filter(video__account_id=account.id).count() == len(recorded)


async def test_disconnecting_stops_saves_from_the_next_refresh_on(
    org: Org, clients: PlatformClients, simulator: TestServer, box: SecretBox
) -> None:
    handle = connected_handle(f"leaving.{org.id}")
    account = await track(org, handle)
    await connect(org, account, f"owner-{handle}", box)
    await refresh_profile(IG, handle, clients, now=NOW)
    assert any(s.saves for s in await snapshots_on(account, NOW))

    outcome = await disconnect_account(Tenant(org.id), account.id)
    assert outcome.value is not None
    assert outcome.value.insights_token is None
    upstream(simulator).reset()
    tomorrow = NOW + timedelta(days=1)
    simulator.app[CLOCK].frozen = tomorrow
    await refresh_profile(IG, handle, clients, now=tomorrow)

    later = await snapshots_on(account, tomorrow)
    assert later
    assert all(s.saves is None and s.shares is None for s in later)
    assert any(s.saves for s in await snapshots_on(account, NOW))  # history stays
    assert upstream(simulator).insights == []


async def test_a_token_that_does_not_decrypt_counts_as_not_connected(
    org: Org, clients: PlatformClients, simulator: TestServer
) -> None:
    handle = connected_handle(f"rotated.{org.id}")
    account = await track(org, handle)
    sealed_elsewhere = SecretBox("another-secret-key").seal(f"owner-{handle}")
    await models.Account.filter(id=account.id).update(insights_token=sealed_elsewhere)

    await refresh_profile(IG, handle, clients, now=NOW)

    assert all(v.saves is None for v in await videos(account))
    assert upstream(simulator).insights == []
    row = await models.Account.get(id=account.id)
    assert row.availability is Availability.ACTIVE
    assert row.last_error is None


async def test_without_a_secret_box_no_account_is_connected(
    org: Org, clients: PlatformClients, simulator: TestServer, box: SecretBox
) -> None:
    handle = connected_handle(f"boxless.{org.id}")
    account = await track(org, handle)
    await connect(org, account, f"owner-{handle}", box)
    boxless = PlatformClients(clients.clients)

    await refresh_profile(IG, handle, boxless, now=NOW)

    assert all(v.saves is None for v in await videos(account))
    assert upstream(simulator).insights == []


async def test_an_individual_post_of_a_connected_author_gets_insights_for_that_organization_only(
    make_org: Callable[[], Awaitable[Org]],
    clients: PlatformClients,
    simulator: TestServer,
    box: SecretBox,
) -> None:
    owner, other = await make_org(), await make_org()
    handle = connected_handle(f"single.{owner.id}")
    await connect(owner, await track(owner, handle), f"owner-{handle}", box)
    world = simulator.app[WORLD]
    post = world.published_posts(world.profile(IG, handle), NOW)[5]
    for org in (owner, other):
        added = await add_video(
            Tenant(org.id),
            url=None,
            shortcode=post.shortcode,
            video_id=None,
            platform=None,
            author_handle=handle,
        )
        assert added.value is not None

    result = await refresh_video(IG, str(post.media_id), clients, now=NOW)

    assert result.availability is Availability.ACTIVE
    expected = world.counters(post)
    rows = {
        row.organization_id: row
        for row in await models.Video.filter(platform_video_id=str(post.media_id))
    }
    assert (rows[owner.id].saves, rows[owner.id].shares) == (expected.saves, expected.shares)
    assert rows[owner.id].saves is not None
    assert (rows[other.id].saves, rows[other.id].shares) == (None, None)
    assert rows[other.id].likes == rows[owner.id].likes == expected.likes
