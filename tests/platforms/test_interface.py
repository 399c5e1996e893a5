"""One platform interface: both clients implement it, every platform is registered, and
nothing outside `app/platforms/` (and the simulator) branches on a particular platform."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from app.identifiers import Platform
from app.metrics.store import VideoCounters
from app.platforms.clients import FACTORIES
from app.platforms.errors import AuthorUnknown, UpstreamError
from app.platforms.interface import PlatformClient, ReadKind
from app.platforms.registry import SPECS, spec
from app.services.clients import PlatformClients
from app.settings import Settings
from app.simulator.app import WORLD, create_simulator
from app.simulator.world import ProfileState, World
from tests.platforms.simulated import simulated_clients

APP = Path(__file__).resolve().parents[2] / "app"
# Where branching on a platform belongs: its client, its spec, its simulated API.
ALLOWED = ("platforms", "simulator")


@pytest.fixture
async def simulator() -> AsyncIterator[TestServer]:
    server = TestServer(create_simulator(seed=5))
    async with server:
        yield server


@pytest.fixture
async def clients(settings: Settings, simulator: TestServer) -> AsyncIterator[PlatformClients]:
    """Every platform's client, built the way the API and the worker build them."""
    async with simulated_clients(settings, simulator) as built:
        yield built


def active_handle(world: World, platform: Platform) -> str:
    """The first simulated `probe.N` profile that is public and has posts."""
    for n in range(200):
        handle = f"probe.{n}"
        profile = world.profile(platform, handle)
        if profile.state is ProfileState.ACTIVE and len(world.published_posts(profile)) > 2:
            return handle
    raise AssertionError(f"no active {platform.label} profile")


def test_every_platform_has_a_spec_and_a_client_factory() -> None:
    assert set(SPECS) == set(Platform)
    assert set(FACTORIES) == set(Platform)
    assert all(spec(platform).platform is platform for platform in Platform)


def test_the_specs_say_what_the_platforms_never_report() -> None:
    seen = VideoCounters(datetime(2026, 1, 1, tzinfo=UTC), views=9, plays=7, shares=3, saves=2)

    tiktok = seen.normalised(Platform.TIKTOK)
    instagram = seen.normalised(Platform.INSTAGRAM)

    assert (tiktok.views, tiktok.plays, tiktok.shares, tiktok.saves) == (9, 9, 3, None)
    assert instagram is seen
    assert spec(Platform.INSTAGRAM).shortcode("3000000000000000000") is not None
    assert spec(Platform.TIKTOK).shortcode("7000000000000000000") is None


async def test_every_client_implements_the_interface(clients: PlatformClients) -> None:
    assert set(clients.clients) == set(Platform)
    assert set(clients.budgets) == set(Platform)
    for platform in Platform:
        client = clients[platform]
        assert isinstance(client, PlatformClient)
        assert client.platform is platform
        assert client.supports_insights is spec(platform).owner_insights


def test_expected_requests_are_the_budget_reservations(clients: PlatformClients) -> None:
    # An Instagram profile and one feed page; a TikTok profile and three 30-day video
    # queries (90-day look-back); one post on either.
    expected = {
        (ReadKind.PROFILE, Platform.INSTAGRAM): 2,
        (ReadKind.PROFILE, Platform.TIKTOK): 4,
        (ReadKind.VIDEO, Platform.INSTAGRAM): 1,
        (ReadKind.VIDEO, Platform.TIKTOK): 1,
    }
    for kind in ReadKind:
        for platform in Platform:
            assert clients.expected_requests(platform, kind) == expected[(kind, platform)]


@pytest.mark.parametrize("platform", list(Platform))
async def test_every_read_through_the_interface(
    clients: PlatformClients, simulator: TestServer, platform: Platform
) -> None:
    world: World = simulator.app[WORLD]
    handle = active_handle(world, platform)
    client = clients[platform]

    profile = await client.get_profile(handle)
    posts = await client.recent_posts(
        handle, limit=3, since=datetime.now(UTC) - timedelta(days=365)
    )
    one = await client.post(posts[-1].media_id, handle)

    assert (profile.platform, profile.handle) == (platform, handle)
    assert 1 <= len(posts) <= 3
    assert all(p.platform is platform for p in posts)
    assert one is not None
    assert one.media_id == posts[-1].media_id
    assert await clients.profile(platform, handle) == profile


async def test_a_post_read_only_through_its_author_needs_the_author(
    clients: PlatformClients,
) -> None:
    with pytest.raises(AuthorUnknown):
        await clients.post(Platform.INSTAGRAM, "3000000000000000000", None)


async def test_platforms_without_owner_insights_refuse_them(clients: PlatformClients) -> None:
    for platform in Platform:
        if not clients[platform].supports_insights:
            with pytest.raises(UpstreamError) as raised:
                await clients[platform].media_insights("1", "token")
            assert raised.value.transient is False


# --- the guard: no behaviour branches on a particular platform elsewhere -----------------------

_MEMBER = r"\bPlatform\w*\.[A-Z][A-Z_]*\b"  # Platform.X, and aliases such as PlatformModel.X
BRANCHES = [
    re.compile(rf"\bis(?:\s+not)?\s+{_MEMBER}"),  # x is Platform.X, x is not Platform.X
    re.compile(rf"[!=]=\s*{_MEMBER}|{_MEMBER}\s*[!=]="),  # == / != either way round
    re.compile(rf"\bin\s*[(\[{{][^)\]}}]*{_MEMBER}"),  # x in (None, Platform.X)
    re.compile(rf"^\s*(?:el)?if\b.*{_MEMBER}"),  # if ... Platform.X ...:
    re.compile(rf"^\s*(?:while|assert)\b.*{_MEMBER}"),
    # ternaries: a if x is Platform.X else b, Platform.X if c else d, a if c else Platform.X
    re.compile(rf"\bif\b.*{_MEMBER}.*\belse\b|{_MEMBER}\s+(?:if|else)\b|\belse\s+{_MEMBER}"),
    re.compile(rf"^\s*case\s+{_MEMBER}"),  # match platform: case Platform.X
]


def branches(line: str) -> bool:
    """Whether a line of code chooses behaviour by a particular platform."""
    code = line.split("#", 1)[0]
    return any(pattern.search(code) for pattern in BRANCHES)


@pytest.mark.parametrize(
    "line",
    [
        "    if platform is Platform.INSTAGRAM:",
        "    if account.platform is not Platform.INSTAGRAM:",
        "    pattern = _A if platform is Platform.INSTAGRAM else _B",
        '        return "Instagram" if self is Platform.INSTAGRAM else "TikTok"',
        "    tiktok = post.platform is Platform.TIKTOK",
        "    if platform == Platform.TIKTOK:",
        "    if Platform.TIKTOK != platform:",
        "        if expected not in (None, Platform.INSTAGRAM):",
        "    elif row.platform in {Platform.TIKTOK}:",
        "    if platform is PlatformModel.INSTAGRAM:",
        "        case Platform.TIKTOK:",
        "    x = f(a) if y else Platform.TIKTOK",
    ],
)
def test_the_guard_sees_branches(line: str) -> None:
    assert branches(line)


@pytest.mark.parametrize(
    "line",
    [
        '    "Pixel Pete": [(Platform.TIKTOK, "pixelpete")],',
        'DEMO_VIDEO_AUTHORS = [(Platform.TIKTOK, "guest.chef"), (Platform.INSTAGRAM, "x")]',
        "PLATFORMS = (Platform.INSTAGRAM, Platform.TIKTOK)",
        "    platform: Platform = Platform.TIKTOK",
        '    handle = f"{Platform.TIKTOK.value}:x"  # if Platform.TIKTOK is ...',
        "    for platform in Platform:",
        "    if spec(platform).owner_insights:",
    ],
)
def test_the_guard_leaves_data_alone(line: str) -> None:
    assert not branches(line)


def test_nothing_outside_the_platforms_branches_on_a_platform() -> None:
    found = [
        f"{path.relative_to(APP.parent)}:{number}: {line.strip()}"
        for path in sorted(APP.rglob("*.py"))
        if path.relative_to(APP).parts[0] not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if branches(line)
    ]
    assert found == [], "branch on the platform's spec or client instead:\n" + "\n".join(found)
