"""The demo organization of the one-command start."""

from __future__ import annotations

from dataclasses import dataclass

from app import models
from app.identifiers import Platform
from app.models import Scope
from app.platforms.registry import spec
from app.security.crypto import SecretBox
from app.services import creators, videos
from app.services.accounts import connect_account, track_account
from app.services.api_keys import create_api_key
from app.services.tenancy import Tenant
from app.simulator.world import World

DEMO_ORGANIZATION = "Demo Agency"

# Profiles the platform simulator serves; grouped into creators across platforms.
DEMO_CREATORS: dict[str, list[tuple[Platform, str]]] = {
    "Nora Bakes": [(Platform.INSTAGRAM, "nora.bakes"), (Platform.TIKTOK, "norabakes")],
    "Trail Twins": [(Platform.INSTAGRAM, "trailtwins"), (Platform.TIKTOK, "trail.twins")],
    "Pixel Pete": [(Platform.TIKTOK, "pixelpete")],
}
# Authors of the demo's individual videos (not tracked as accounts).
DEMO_VIDEO_AUTHORS = [(Platform.TIKTOK, "guest.chef"), (Platform.INSTAGRAM, "studio.lumen")]


@dataclass(frozen=True, slots=True)
class DemoVideo:
    """A post the demo adds as an individual video, with its author."""

    url: str
    author: str


def demo_videos(world: World) -> list[DemoVideo]:
    """Recent simulated posts of the demo's video authors.

    Generating the authors' profiles also lets the simulator find their posts by id (TikTok's
    video_id query), so call it at every start, not only the first.
    """
    chosen = []
    for platform, handle in DEMO_VIDEO_AUTHORS:
        post = world.published_posts(world.profile(platform, handle))[1]
        chosen.append(DemoVideo(spec(platform).post_url(str(post.media_id), handle), handle))
    return chosen


async def seed_demo(
    world: World, box: SecretBox, individual_videos: list[DemoVideo]
) -> tuple[int, str, bool]:
    """Create the demo organization and its profiles once.

    Instagram profiles whose simulated owner connected them are connected with the simulator's
    owner token (`owner-<handle>`), so the demo shows saves. Returns the organization's id, a
    fresh ADMIN key, and whether it was just created.
    """
    org = await models.Organization.filter(name=DEMO_ORGANIZATION).first()
    fresh = org is None
    if org is None:
        org = await models.Organization.create(name=DEMO_ORGANIZATION)
        tenant = Tenant(org.id)
        for name, profiles in DEMO_CREATORS.items():
            ids: list[int | None] = []
            for platform, handle in profiles:
                outcome = await track_account(tenant, platform=platform, handle=handle, url=None)
                assert outcome.value is not None, outcome.problems
                ids.append(outcome.value.id)
                if world.profile(platform, handle).connected:
                    await connect_account(tenant, outcome.value.id, f"owner-{handle}", box)
            await creators.create_creator(tenant, name=name, description=None, account_ids=ids)
        for video in individual_videos:
            added = await videos.add_video(
                tenant,
                url=video.url,
                shortcode=None,
                video_id=None,
                platform=None,
                author_handle=video.author,
            )
            assert added.value is not None, added.problems
    issued = await create_api_key(org.id, "demo", Scope.ADMIN)
    return org.id, issued.secret, fresh
