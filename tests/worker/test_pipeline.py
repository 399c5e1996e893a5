"""Tracking through the API starts the first refresh: embedded mode and the arq queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from arq.connections import ArqRedis

from app.identifiers import Platform
from app.platforms.http import create_session
from app.platforms.instagram.client import InstagramClient
from app.platforms.tiktok.client import TikTokClient
from app.services.refresh import PlatformClients
from app.settings import Settings
from app.worker.jobs import WorkerDeps
from app.worker.refreshers import ArqRefresher, EmbeddedRefresher, Refresher
from app.worker.runner import build_worker
from tests.conftest import Org
from tests.worker.test_jobs import pointed_at, redis, simulator  # noqa: F401  (fixtures)

TRACK = (
    "mutation($h: String!) { trackAccount(platform: TIKTOK, handle: $h) {"
    " account { id } created userErrors { code } } }"
)
STATE = (
    "query($id: ID!) { node(id: $id) { ... on Account { availability lastScrapeTime followers } } }"
)
REFRESH = (
    "mutation($id: ID!) { requestRefresh(id: $id) { queued nextAllowedAt userErrors { code } } }"
)


@pytest.fixture
def install(org: Org) -> Iterator[Any]:
    """Put a refresher where the running app's lifespan would have put it."""
    state = org.client._transport.app.state  # type: ignore[attr-defined]
    previous = state.refresher

    def put(refresher: Refresher) -> None:
        state.refresher = refresher

    yield put
    state.refresher = previous


async def test_embedded_refresher_refreshes_a_tracked_account_at_once(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    install: Any,
) -> None:
    configured = pointed_at(settings, simulator)
    async with create_session(5.0) as session:
        embedded = EmbeddedRefresher(
            WorkerDeps(
                PlatformClients(
                    {
                        Platform.INSTAGRAM: InstagramClient(session, configured.instagram),
                        Platform.TIKTOK: TikTokClient(session, configured.tiktok),
                    }
                ),
                queue_name="embedded",
            )
        )
        install(embedded)
        try:
            tracked = await org.gql(TRACK, {"h": f"embedded.{org.id}"})
            account_id = tracked.data["trackAccount"]["account"]["id"]
            await embedded.drain()
        finally:
            await embedded.stop()
    node = (await org.gql(STATE, {"id": account_id})).data["node"]
    assert node["availability"] == "ACTIVE"
    assert node["lastScrapeTime"] is not None
    assert node["followers"] > 0
    again = (await org.gql(REFRESH, {"id": account_id})).data["requestRefresh"]
    assert again["queued"] is False
    assert [e["code"] for e in again["userErrors"]] == ["TOO_SOON"]
    assert again["nextAllowedAt"] is not None


async def test_with_redis_tracking_enqueues_a_job_the_worker_runs(
    org: Org,
    settings: Settings,
    simulator: TestServer,  # noqa: F811
    redis: ArqRedis,  # noqa: F811
    install: Any,
) -> None:
    queue = f"test:{uuid.uuid4().hex}"
    configured = pointed_at(settings, simulator, queue_name=queue)
    install(ArqRefresher(redis, queue))
    tracked = await org.gql(TRACK, {"h": f"queued.{org.id}"})
    account_id = tracked.data["trackAccount"]["account"]["id"]
    assert await redis.zcard(queue) == 1
    worker = build_worker(
        configured,
        redis_pool=redis,
        burst=True,
        handle_signals=False,
        poll_delay=0.01,
        cron_jobs=[],
        ctx={"orm_ready": True},
    )
    await worker.main()
    await worker.close()
    node = (await org.gql(STATE, {"id": account_id})).data["node"]
    assert node["availability"] == "ACTIVE"
    assert node["lastScrapeTime"] is not None
    queued = (await org.gql(REFRESH, {"id": account_id})).data["requestRefresh"]
    assert queued["queued"] is False  # it just ran


async def test_request_refresh_of_an_unknown_id_or_an_individual_video(org: Org) -> None:
    missing = await org.gql(REFRESH, {"id": "QWNjb3VudDo5OTk5OTk5OQ"})
    assert [e["code"] for e in missing.data["requestRefresh"]["userErrors"]] == ["NOT_FOUND"]
    assert missing.data["requestRefresh"]["queued"] is False
    added = await org.gql(
        'mutation { addVideo(url: "https://www.tiktok.com/@someone/video/7106798200794926362")'
        " { video { id } } }"
    )
    individual = added.data["addVideo"]["video"]["id"]
    queued = (await org.gql(REFRESH, {"id": individual})).data["requestRefresh"]
    assert queued["userErrors"] == []
    assert queued["queued"] is True


async def test_request_refresh_of_a_never_refreshed_account_queues_it(org: Org) -> None:
    tracked = await org.gql(TRACK, {"h": f"fresh.{org.id}"})
    account_id = tracked.data["trackAccount"]["account"]["id"]
    queued = (await org.gql(REFRESH, {"id": account_id})).data["requestRefresh"]
    assert queued == {"queued": True, "nextAllowedAt": queued["nextAllowedAt"], "userErrors": []}
    assert queued["nextAllowedAt"] is not None
