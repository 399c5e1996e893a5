"""Record a history both through the real store and into the oracle, then compare GraphQL to it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app import models
from app.identifiers import Platform
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org
from tests.metrics import oracle

FRAGMENTS = """
fragment W on DateWindow { start end days }
fragment CC on CountChange { current previous change changePercent }
fragment RC on RateChange { current previous change changePercent }
fragment EM on EngagementMetrics {
  window { ...W } followers followersChange videosPublished views plays likes comments shares
  saves engagementRate coverage
}
fragment ES on EngagementSeries {
  window { ...W } dates observed followers followersChange videosPublished views plays likes
  comments shares saves engagementRate
}
fragment EC on EngagementComparison {
  window { ...W } previousWindow { ...W } followers { ...CC } followersChange { ...CC }
  videosPublished { ...CC } views { ...CC } plays { ...CC } likes { ...CC } comments { ...CC }
  shares { ...CC } saves { ...CC } engagementRate { ...RC }
}
fragment VM on VideoMetrics {
  window { ...W } views plays likes comments shares saves engagementRate coverage
}
fragment VS on VideoSeries {
  window { ...W } dates observed views plays likes comments shares saves engagementRate
}
fragment VC on VideoComparison {
  window { ...W } previousWindow { ...W } views { ...CC } plays { ...CC } likes { ...CC }
  comments { ...CC } shares { ...CC } saves { ...CC } engagementRate { ...RC }
}
"""

QUERY = (
    """
query Everything($w: WindowInput!) {
  organization {
    metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
  }
  accounts(first: 100) { nodes {
    handle
    metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
  } }
  creators(first: 100) { nodes {
    name
    metrics(window: $w) { ...EM } series(window: $w) { ...ES } comparison(window: $w) { ...EC }
  } }
  accountVideos(first: 100) { nodes {
    videoId account { handle }
    metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
  } }
  individualVideos(first: 100) { nodes {
    videoId account { handle }
    metrics(window: $w) { ...VM } series(window: $w) { ...VS } comparison(window: $w) { ...VC }
  } }
}
"""
    + FRAGMENTS
)

WindowSpec = str | tuple[date, date]


def window_input(spec: WindowSpec) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"preset": spec}
    return {"range": {"start": spec[0].isoformat(), "end": spec[1].isoformat()}}


def resolve(spec: WindowSpec, today: date) -> oracle.Window:
    if isinstance(spec, str):
        return oracle.preset(spec, today)
    return oracle.Window(spec[0], spec[1])


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where `actual` differs from `expected` (floats compared with a tolerance)."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{path}.{key}: missing from the API (expected {expected[key]!r})")
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected in the API ({actual[key]!r})")
            else:
                out.extend(differences(expected[key], actual[key], f"{path}.{key}"))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual) or any(
            differences(e, a) for e, a in zip(expected, actual, strict=True)
        ):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        return []
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected is actual else [f"{path}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        if isinstance(expected, float) or isinstance(actual, float):
            ok = _close(float(expected), float(actual))
        else:
            ok = expected == actual
        return [] if ok else [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def midday(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


class Scenario:
    """One organization's history, kept in the database and in the oracle side by side."""

    def __init__(self, org: Org, today: date | None = None) -> None:
        self.org = org
        self.today = today or today_utc()
        self.world = oracle.World()
        self.account_ids: dict[str, int] = {}
        self.video_ids: dict[str, int] = {}

    # --- time ---

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def at(self, offset: int, hour: int = 12, minute: int = 0) -> datetime:
        return midday(self.day(offset), hour, minute)

    def range(self, start: int, end: int) -> tuple[date, date]:
        return (self.day(start), self.day(end))

    # --- entities ---

    async def account(self, handle: str, platform: str = oracle.TIKTOK) -> None:
        row = await models.Account.create(
            organization_id=self.org.id, platform=Platform(platform), handle=handle
        )
        self.account_ids[handle] = row.id
        self.world.add_account(handle, platform)

    async def video(
        self,
        key: str,
        platform: str = oracle.TIKTOK,
        *,
        account: str | None = None,
        individual: bool = False,
        published: datetime | None = None,
    ) -> None:
        row = await models.Video.create(
            organization_id=self.org.id,
            platform=Platform(platform),
            platform_video_id=key,
            account_id=self.account_ids[account] if account is not None else None,
            is_individual=individual,
            published_at=published,
        )
        self.video_ids[key] = row.id
        if published is not None:
            # Every write path that learns a publish date registers it with the store
            # (`rederive_video`), so the post counts before its first observation.
            await store.rederive_video(row.id)
        self.world.add_video(
            key,
            platform,
            published.astimezone(UTC).date() if published is not None else None,
            account,
            individual,
        )

    async def creator(self, name: str, handles: Sequence[str]) -> None:
        creator = await models.Creator.create(organization_id=self.org.id, name=name)
        for handle in handles:
            await models.CreatorAccount.create(
                creator_id=creator.id, account_id=self.account_ids[handle]
            )
        self.world.add_creator(name, list(handles))

    # --- observations ---

    async def observe_video(
        self, key: str, *observations: tuple[datetime, Mapping[str, int | None]]
    ) -> None:
        """One `store.record_video` call with these observations (counters not given = None)."""
        await store.record_video(
            self.video_ids[key],
            [store.VideoCounters(when, **dict(values)) for when, values in observations],
        )
        for when, values in observations:
            self.world.record_video(key, when, dict(values))

    async def observe_profile(
        self, handle: str, *observations: tuple[datetime, int | None]
    ) -> None:
        """One `store.record_profile` call with these follower observations."""
        await store.record_profile(
            self.account_ids[handle],
            [store.ProfileCounters(when, followers=followers) for when, followers in observations],
        )
        for when, followers in observations:
            self.world.record_profile(handle, when, followers)

    async def set_video_account(self, key: str, handle: str | None) -> None:
        await store.set_video_account(
            self.video_ids[key], self.account_ids[handle] if handle is not None else None
        )
        self.world.set_video_account(key, handle)

    async def forget_video(self, key: str) -> None:
        await store.forget_video(self.video_ids.pop(key))
        self.world.forget_video(key)

    # --- reading ---

    async def fetch(self, spec: WindowSpec) -> dict[str, Any]:
        """The API's answer for the whole organization, keyed like `oracle.expected`."""
        data = (await self.org.gql(QUERY, {"w": window_input(spec)})).data

        def block(node: dict[str, Any]) -> dict[str, Any]:
            return {k: node[k] for k in ("metrics", "series", "comparison")}

        def video(node: dict[str, Any]) -> dict[str, Any]:
            account = node["account"]["handle"] if node["account"] is not None else None
            return {"account": account, **block(node)}

        return {
            "organization": block(data["organization"]),
            "accounts": {n["handle"]: block(n) for n in data["accounts"]["nodes"]},
            "creators": {n["name"]: block(n) for n in data["creators"]["nodes"]},
            "accountVideos": {n["videoId"]: video(n) for n in data["accountVideos"]["nodes"]},
            "individualVideos": {n["videoId"]: video(n) for n in data["individualVideos"]["nodes"]},
        }

    def expected(self, spec: WindowSpec) -> dict[str, Any]:
        return oracle.expected(self.world, resolve(spec, self.today))

    async def check(self, *specs: WindowSpec) -> list[dict[str, Any]]:
        """Compare the API with the oracle on every window; return the API's answers."""
        answers = []
        problems: list[str] = []
        for spec in specs:
            actual = await self.fetch(spec)
            window = resolve(spec, self.today)
            found = differences(self.expected(spec), actual, f"[{window.start}..{window.end}]")
            problems.extend(found)
            answers.append(actual)
        assert not problems, f"{len(problems)} difference(s) from the oracle:\n" + "\n".join(
            problems[:40]
        )
        return answers
