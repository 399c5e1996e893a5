"""The README's first command end to end: `creatoraudit demo` serves history and refreshes."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import httpx

QUERY = """{
  accounts(first: 10) { nodes { handle platform availability lastScrapeTime isConnected
    series(window: {preset: D30}) { observed } videos(first: 3) { nodes { savedCount } } } }
  individualVideos(first: 10) { nodes { url availability views lastError } }
}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_demo_serves_history_and_refreshes_its_videos(tmp_path: Path) -> None:
    api_port, simulator_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env["CREATORAUDIT_DATABASE_URL"] = f"sqlite://{tmp_path / 'demo.sqlite3'}"
    env["CREATORAUDIT_LOG_LEVEL"] = "WARNING"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "app.cli", "demo", "--port", str(api_port)),
        *("--simulator-port", str(simulator_port)),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        printed = ""
        while "API key:" not in printed:
            line = await asyncio.wait_for(process.stdout.readline(), 120)
            assert line, f"demo exited: {printed}"
            printed += line.decode()
        match = re.search(r"API key:\s+(\S+)", printed)
        assert match is not None
        headers = {"Authorization": f"Bearer {match.group(1)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as client:
            data: dict[str, Any] = {}
            for _ in range(300):  # the embedded refresher runs the first refreshes at once
                try:
                    response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
                    continue
                data = response.json()["data"]
                accounts = data["accounts"]["nodes"]
                videos = data["individualVideos"]["nodes"]
                if all(a["lastScrapeTime"] for a in accounts) and all(
                    v["availability"] != "PENDING" for v in videos
                ):
                    break
                await asyncio.sleep(0.1)
        accounts = data["accounts"]["nodes"]
        assert len(accounts) == 5
        for account in accounts:
            assert account["availability"] == "ACTIVE", account
            assert all(account["series"]["observed"])  # 30 days of backfilled history
            saves = [v["savedCount"] for v in account["videos"]["nodes"]]
            assert saves
            if account["isConnected"]:  # the owner's insights: saves, as history and fresh
                assert None not in saves
            else:
                assert set(saves) == {None}
        connected = {a["handle"] for a in accounts if a["isConnected"]}
        assert connected == {"trailtwins"}  # the simulated owner of trailtwins connected it
        videos = data["individualVideos"]["nodes"]
        assert len(videos) == 2
        for video in videos:  # both platforms' individual videos were refreshed upstream
            assert video["availability"] == "ACTIVE", video
            assert video["views"] is not None or "instagram" in video["url"]
    finally:
        process.terminate()
        await process.wait()
