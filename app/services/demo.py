"""The demo organization of the one-command start."""

from __future__ import annotations

from app import models
from app.identifiers import Platform
from app.models import Scope
from app.services import creators, videos
from app.services.accounts import track_account
from app.services.api_keys import create_api_key
from app.services.tenancy import Tenant

DEMO_ORGANIZATION = "Demo Agency"

# Profiles the platform simulator serves; grouped into creators across platforms.
DEMO_CREATORS: dict[str, list[tuple[Platform, str]]] = {
    "Nora Bakes": [(Platform.INSTAGRAM, "nora.bakes"), (Platform.TIKTOK, "norabakes")],
    "Trail Twins": [(Platform.INSTAGRAM, "trailtwins"), (Platform.TIKTOK, "trail.twins")],
    "Pixel Pete": [(Platform.TIKTOK, "pixelpete")],
}
DEMO_VIDEO_URLS = ["https://www.tiktok.com/@guest.chef/video/7320768187275005226"]


async def seed_demo() -> tuple[int, str, bool]:
    """Create the demo organization and its profiles once.

    Returns its id, a fresh ADMIN key, and whether it was just created.
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
            await creators.create_creator(tenant, name=name, description=None, account_ids=ids)
        for url in DEMO_VIDEO_URLS:
            await videos.add_video(tenant, url=url, shortcode=None, video_id=None, platform=None)
    issued = await create_api_key(org.id, "demo", Scope.ADMIN)
    return org.id, issued.secret, fresh
