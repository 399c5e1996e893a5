"""The simulated TikTok Research API over real HTTP: wire format, paging, limits, quota, faults."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer

from app.platforms.http import create_session
from app.simulator.app import create_simulator
from app.simulator.clock import SimClock
from app.simulator.tiktok import STATE, TikTokState

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LOG_ID = re.compile(r"^\d{14}[0-9A-F]+$")
ALL_COUNTERS = "view_count,like_count,comment_count,share_count,favorites_count"


def tiktok_state(root: web.Application) -> TikTokState:
    """The TikTok sub-application's state, found through the router's public resource info."""
    for resource in root.router.resources():
        app = resource.get_info().get("app")
        if isinstance(app, web.Application) and STATE in app:
            return app[STATE]
    raise AssertionError("TikTok is not mounted")


@dataclass
class Sim:
    """A running simulator and a session to talk to it."""

    server: BaseTestServer
    state: TikTokState
    clock: SimClock
    session: aiohttp.ClientSession
    token: str = ""

    @property
    def base(self) -> str:
        return str(self.server.make_url("/tiktok"))

    async def new_token(self, secret: str = "simulator-secret") -> tuple[int, dict[str, Any]]:
        form = {"client_key": "k", "client_secret": secret, "grant_type": "client_credentials"}
        async with self.session.post(f"{self.base}/v2/oauth/token/", data=form) as response:
            body = await response.json()
            if response.status == 200:
                self.token = body["access_token"]
            return response.status, body

    async def call(self, path: str, fields: str, payload: Any) -> tuple[int, str]:
        async with self.session.post(
            f"{self.base}/v2/research/{path}/",
            params={"fields": fields},
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            return response.status, await response.text()

    async def videos(self, handle: str, fields: str = "id,create_time", **extra: Any) -> Any:
        payload = {
            "query": {
                "and": [{"operation": "EQ", "field_name": "username", "field_values": [handle]}]
            },
            "start_date": "20260401",
            "end_date": "20260501",
            "max_count": 100,
            **extra,
        }
        status, text = await self.call("video/query", fields, payload)
        return status, json.loads(text)


@asynccontextmanager
async def running(seed: int = 7, **state: Any) -> AsyncIterator[Sim]:
    """Serve a simulator with a frozen clock; `state` overrides TikTokState fields."""
    clock = SimClock(frozen=NOW)
    root = create_simulator(seed, clock=clock)
    sim_state = tiktok_state(root)
    for name, value in state.items():
        setattr(sim_state, name, value)
    async with TestServer(root) as server, create_session(5) as session:
        sim = Sim(server, sim_state, clock, session)
        await sim.new_token()
        yield sim


async def test_token_and_oauth_errors() -> None:
    async with running() as sim:
        status, body = await sim.new_token()
        assert status == 200
        assert body["access_token"].startswith("clt.")
        assert (body["expires_in"], body["token_type"]) == (7200, "Bearer")
        status, body = await sim.new_token("wrong")
        assert status == 401
        assert body["error"] == "invalid_client"
        assert set(body) == {"error", "error_description", "log_id"}
        assert LOG_ID.match(body["log_id"])
        sim.token = "clt.unknown"
        status, text = await sim.call("user/info", "display_name", {"username": "ana"})
        assert status == 401
        assert json.loads(text)["error"]["code"] == "access_token_invalid"


async def test_user_info_envelope_and_requested_fields() -> None:
    async with running() as sim:
        status, text = await sim.call("user/info", "is_verified,video_count", {"username": "ana"})
        body = json.loads(text)
        assert status == 200
        assert set(body["data"]) == {"is_verified", "video_count"}
        assert body["error"]["code"] == "ok"
        assert body["error"]["message"] == ""
        assert LOG_ID.match(body["error"]["log_id"])
        assert body["error"]["log_id"].startswith("20260601120000")
        for handle, text_part in (
            ("missing_one", "is invalid: cannot find the user"),
            ("private_one", "API cannot return this user's information"),
            ("restricted_one", "API cannot return this user's information"),
        ):
            status, text = await sim.call("user/info", "display_name", {"username": handle})
            assert status == 400
            error = json.loads(text)["error"]
            assert error["code"] == "invalid_params"
            assert text_part in error["message"]


async def test_video_wire_format() -> None:
    async with running() as sim:
        fields = "id,create_time,username," + ALL_COUNTERS
        orders, missing = set(), 0
        for handle in ("ana", "bo", "cy", "di"):
            status, text = await sim.call(
                "video/query",
                fields,
                {
                    "query": {
                        "and": [
                            {"operation": "EQ", "field_name": "username", "field_values": [handle]}
                        ]
                    },
                    "start_date": "20260101",
                    "end_date": "20260131",
                },
            )
            assert status == 200
            videos = json.loads(text)["data"]["videos"]
            assert videos
            ids = [v["id"] for v in videos]
            assert ids == sorted(ids, reverse=True)
            for video in videos:
                assert type(video["id"]) is int
                assert video["id"] > 2**53
                assert f'"id": {video["id"]}' in text  # a bare number, not a string
                assert video["id"] >> 32 <= video["create_time"]
                assert set(video) <= set(fields.split(","))
                orders.add(tuple(video))
                missing += len(set(fields.split(",")) - set(video))
        assert len(orders) > 1  # key order varies
        assert missing > 0  # some counter missing somewhere
        status, body = await sim.videos("ana", "id")
        assert all(set(v) == {"id"} for v in body["data"]["videos"])


async def test_paging_with_cursor_and_search_id() -> None:
    async with running() as sim:
        _, whole = await sim.videos("ana", start_date="20260101", end_date="20260131")
        everything = [v["id"] for v in whole["data"]["videos"]]
        assert len(everything) >= 3
        assert whole["data"]["has_more"] is False
        paged: list[int] = []
        extra: dict[str, Any] = {"start_date": "20260101", "end_date": "20260131", "max_count": 2}
        while True:
            status, body = await sim.videos("ana", **extra)
            assert status == 200
            data = body["data"]
            paged += [v["id"] for v in data["videos"]]
            assert data["cursor"] == len(paged)
            assert "search_id" in data
            if not data["has_more"]:
                break
            if "search_id" in extra:
                assert data["search_id"] == extra["search_id"]
            extra |= {"cursor": data["cursor"], "search_id": data["search_id"]}
        assert paged == everything


async def test_window_and_max_count_limits() -> None:
    async with running() as sim:
        for extra in (
            {"start_date": "20260101", "end_date": "20260201"},  # 31 days
            {"start_date": "20260201", "end_date": "20260101"},
            {"start_date": "2026-01-01"},
            {"max_count": 101},
            {"max_count": 0},
        ):
            status, body = await sim.videos("ana", **extra)
            assert status == 400, extra
            assert body["error"]["code"] == "invalid_params"
            assert body["data"] == {}
        status, _ = await sim.videos("ana", start_date="20260101", end_date="20260131")
        assert status == 200


async def test_search_id_expires() -> None:
    async with running(search_id_ttl=60.0) as sim:
        extra: dict[str, Any] = {"start_date": "20260101", "end_date": "20260131", "max_count": 1}
        _, body = await sim.videos("ana", **extra)
        extra |= {"cursor": 1, "search_id": body["data"]["search_id"]}
        status, _ = await sim.videos("ana", **extra)
        assert status == 200
        sim.clock.advance(timedelta(seconds=61))
        status, body = await sim.videos("ana", **extra)
        assert status == 400
        assert body["error"]["code"] == "invalid_params"
        assert re.match(r"Search Id \d+ is invalid or expired", body["error"]["message"])


async def test_daily_quota_and_reset() -> None:
    async with running(daily_quota=3) as sim:
        sim.state.faults.server_error = 1.0
        status, text = await sim.call("user/info", "display_name", {"username": "ana"})
        assert status == 500
        assert json.loads(text)["error"]["code"] == "internal_error"
        sim.state.faults.server_error = 0.0
        for _ in range(2):
            assert (await sim.videos("ana"))[0] == 200
        status, body = await sim.videos("ana")
        assert status == 429
        assert body["error"]["code"] == "rate_limit_exceeded"
        sim.clock.frozen = datetime(2026, 6, 2, 0, 0, 1, tzinfo=UTC)
        status, _ = await sim.videos("ana")
        assert status == 401  # the token expired too
        await sim.new_token()
        assert (await sim.videos("ana"))[0] == 200


async def test_faults_malformed_and_rate_limit() -> None:
    async with running() as sim:
        sim.state.faults.malformed = 1.0
        status, text = await sim.call("user/info", "display_name", {"username": "ana"})
        assert (status, text) == (200, "<html>oops")
        sim.state.faults.malformed, sim.state.faults.rate_limit = 0.0, 1.0
        status, body = await sim.videos("ana")
        assert (status, body["error"]["code"]) == (429, "rate_limit_exceeded")


async def test_same_seed_same_bodies() -> None:
    async def bodies(seed: int) -> list[str]:
        async with running(seed) as sim:
            out = [sim.token]
            for handle in ("ana", "bo"):
                out.append(
                    (
                        await sim.call(
                            "user/info", "display_name,follower_count", {"username": handle}
                        )
                    )[1]
                )
                out.append(json.dumps(await sim.videos(handle, "id," + ALL_COUNTERS)))
            return out

    first = await bodies(11)
    assert first == await bodies(11)
    assert first != await bodies(12)


async def test_counters_grow_with_the_clock() -> None:
    async with running() as sim:
        _, before = await sim.videos("ana", "id,view_count,like_count")
        sim.clock.advance(timedelta(days=30))
        await sim.new_token()
        _, after = await sim.videos("ana", "id,view_count,like_count")
        views = [sum(v.get("view_count", 0) for v in b["data"]["videos"]) for b in (before, after)]
        assert views[1] > views[0]
