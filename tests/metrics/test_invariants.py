"""Property tests on random small histories recorded through the store and read through GraphQL.

How hypothesis meets the async app: pytest-asyncio (1.x) runs an `async def` test decorated with
`@given` natively — each example's coroutine runs in the session event loop, where the app and
its database connections live. So the API properties below are ordinary hypothesis tests with
shrinking; every example builds a fresh organization through `make_org` (a factory fixture, so
the function-scoped-fixture health check is suppressed on purpose). The pure oracle gets the
same properties in a cheap synchronous hypothesis test, so a failure can be told apart as an
oracle bug or an engine bug.

Properties (SPEC §4, "Consequences clients may rely on"):
(a) a window's value equals the sum of its daily series, null exactly when every day is null
    (every counter, followersChange, videosPublished; followers = the series' last level;
    coverage = observed days / days; rates recomputed from the sums);
(b) two adjacent windows add up to the window covering both;
(c) organization totals equal the sum over accounts and individual-only videos;
(d) the API equals the oracle (every field of metrics, series and comparison at every scope).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.counts import MAX_COUNT
from app.metrics.windows import today_utc
from tests.conftest import Org
from tests.metrics import oracle
from tests.metrics.harness import Scenario, differences, midday

COUNTERS = oracle.COUNTERS
GAINS = ("followersChange", "videosPublished", *COUNTERS)
HORIZON = 60  # days of history before today
PLATFORMS = (oracle.TIKTOK, oracle.INSTAGRAM)

# --- random histories --------------------------------------------------------------------------


@dataclass
class VideoSpec:
    key: str
    platform: str
    account: str | None
    individual: bool
    published: int | None  # day offset
    published_hour: int


@dataclass
class History:
    accounts: list[tuple[str, str]]
    creators: list[tuple[str, list[str]]]
    videos: list[VideoSpec]
    # steps, in order: ("video", key, offset, hour, counters) batches, ("profile", handle,
    # offset, hour, followers) batches, ("move", key, handle | None), ("forget", key)
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    window: tuple[int, int, int] = (0, 0, 0)  # start, middle, end offsets (start ≤ middle < end)


# Mostly small counts (so decreases are frequent), sometimes beyond 2^31 (BigInt).
counts = st.one_of(st.none(), st.integers(0, 1000), st.integers(2**31, MAX_COUNT))


@st.composite
def video_counters(draw: st.DrawFn) -> dict[str, int | None]:
    return {name: draw(counts) for name in COUNTERS}


@st.composite
def histories(draw: st.DrawFn) -> History:
    accounts = [
        (f"acct{i}", draw(st.sampled_from(PLATFORMS))) for i in range(draw(st.integers(1, 3)))
    ]
    handles = [h for h, _ in accounts]
    creators = []
    for i in range(draw(st.integers(0, 2))):
        members = draw(st.lists(st.sampled_from(handles), min_size=1, max_size=3, unique=True))
        creators.append((f"creator{i}", members))
    videos = []
    for i in range(draw(st.integers(1, 5))):
        account = draw(st.one_of(st.none(), st.sampled_from(handles)))
        if account is None:
            platform = draw(st.sampled_from(PLATFORMS))
            individual = True
        else:
            platform = dict(accounts)[account]
            individual = draw(st.booleans())
        published = draw(st.one_of(st.none(), st.integers(-HORIZON, 3)))
        videos.append(
            VideoSpec(
                f"{7000 + i}", platform, account, individual, published, draw(st.integers(0, 23))
            )
        )
    history = History(accounts, creators, videos)
    day = st.integers(-HORIZON, 0)
    hour = st.integers(0, 23)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["video", "video", "profile"]))
        if kind == "video":
            key = draw(st.sampled_from([v.key for v in videos]))
            batch = draw(st.lists(st.tuples(day, hour, video_counters()), min_size=1, max_size=6))
            history.steps.append(("video", key, batch))
        else:
            handle = draw(st.sampled_from(handles))
            batch = draw(st.lists(st.tuples(day, hour, counts), min_size=1, max_size=6))
            history.steps.append(("profile", handle, batch))
    # Every video is observed at least once (possibly with every counter unknown): a video never
    # observed at all is the subject of its own test in test_correctness.py, and would otherwise
    # make every example fail for that one reason.
    observed = {step[1] for step in history.steps if step[0] == "video"}
    for v in videos:
        if v.key not in observed:
            batch = [(draw(day), draw(hour), draw(video_counters()))]
            history.steps.insert(draw(st.integers(0, len(history.steps))), ("video", v.key, batch))
    # A video moving between feeds: an account tracked later adopting an individual video,
    # a feed video moving to another account, or an individual video leaving its account.
    if draw(st.booleans()):
        video = draw(st.sampled_from(videos))
        targets: list[str | None] = [
            h for h, p in accounts if p == video.platform and h != video.account
        ]
        if video.individual and video.account is not None:
            targets.append(None)
        if targets:
            position = draw(st.integers(0, len(history.steps)))
            history.steps.insert(position, ("move", video.key, draw(st.sampled_from(targets))))
    if len(videos) > 1 and draw(st.booleans()):
        position = draw(st.integers(0, len(history.steps)))
        history.steps.insert(position, ("forget", draw(st.sampled_from(videos)).key))
    start = draw(st.integers(-HORIZON - 5, -1))
    end = draw(st.integers(start + 1, 0))
    middle = draw(st.integers(start, end - 1))
    history.window = (start, middle, end)
    return history


# --- replaying a history -----------------------------------------------------------------------


def build_world(history: History, today: date) -> oracle.World:
    """The oracle's world for a history (no database)."""
    world = oracle.World()
    for handle, platform in history.accounts:
        world.add_account(handle, platform)
    for v in history.videos:
        published = today + timedelta(days=v.published) if v.published is not None else None
        world.add_video(v.key, v.platform, published, v.account, v.individual)
    for name, members in history.creators:
        world.add_creator(name, members)
    for step in history.steps:
        if step[1] not in world.videos and step[0] in ("video", "move", "forget"):
            continue  # forgotten earlier
        if step[0] == "video":
            for offset, hour, counters in step[2]:
                world.record_video(step[1], midday(today + timedelta(days=offset), hour), counters)
        elif step[0] == "profile":
            for offset, hour, followers in step[2]:
                world.record_profile(
                    step[1], midday(today + timedelta(days=offset), hour), followers
                )
        elif step[0] == "move":
            world.set_video_account(step[1], step[2])
        else:
            world.forget_video(step[1])
    return world


async def play(history: History, sc: Scenario) -> None:
    """Record a history through the store (and the scenario's oracle world)."""
    for handle, platform in history.accounts:
        await sc.account(handle, platform)
    for v in history.videos:
        published = sc.at(v.published, v.published_hour) if v.published is not None else None
        await sc.video(
            v.key, v.platform, account=v.account, individual=v.individual, published=published
        )
    for name, members in history.creators:
        await sc.creator(name, members)
    for step in history.steps:
        if step[1] not in sc.video_ids and step[0] in ("video", "move", "forget"):
            continue
        if step[0] == "video":
            await sc.observe_video(step[1], *[(sc.at(o, h), c) for o, h, c in step[2]])
        elif step[0] == "profile":
            await sc.observe_profile(step[1], *[(sc.at(o, h), f) for o, h, f in step[2]])
        elif step[0] == "move":
            await sc.set_video_account(step[1], step[2])
        else:
            await sc.forget_video(step[1])


# --- the properties, on any answer shaped like `oracle.expected` -------------------------------


def add(a: Any, b: Any) -> Any:
    """Sum of known values, null only when both are null."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def total(values: list[Any]) -> Any:
    result = None
    for value in values:
        result = add(result, value)
    return result


def rate_of(values: dict[str, Any]) -> float | None:
    return oracle.rate(values)


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_series_sums(answer: dict[str, Any], label: str) -> list[str]:
    """(a) window value = sum of its days, for every scope of one answer."""
    problems = []
    scopes: list[tuple[str, dict[str, Any], bool]] = [
        ("organization", answer["organization"], True)
    ]
    scopes += [(f"accounts.{k}", v, True) for k, v in answer["accounts"].items()]
    scopes += [(f"creators.{k}", v, True) for k, v in answer["creators"].items()]
    scopes += [(f"accountVideos.{k}", v, False) for k, v in answer["accountVideos"].items()]
    scopes += [(f"individualVideos.{k}", v, False) for k, v in answer["individualVideos"].items()]
    for name, block, engagement in scopes:
        metrics, series = block["metrics"], block["series"]
        where = f"{label} {name}"
        for counter in (*GAINS,) if engagement else COUNTERS:
            if metrics[counter] != total(series[counter]):
                problems.append(
                    f"{where}.{counter}: window {metrics[counter]!r} ≠ sum of days "
                    f"{series[counter]!r}"
                )
        if engagement and metrics["followers"] != series["followers"][-1]:
            problems.append(
                f"{where}.followers: {metrics['followers']!r} ≠ last level {series['followers']!r}"
            )
        days = metrics["window"]["days"]
        if not same(metrics["coverage"], sum(series["observed"]) / days):
            problems.append(
                f"{where}.coverage {metrics['coverage']} vs observed {series['observed']}"
            )
        if not same(metrics["engagementRate"], rate_of(metrics)):
            problems.append(f"{where}.engagementRate {metrics['engagementRate']} vs its sums")
        for i in range(days):
            day = {c: series[c][i] for c in COUNTERS}
            if not same(series["engagementRate"][i], rate_of(day)):
                problems.append(f"{where}.engagementRate[{i}] vs that day's gains")
    return problems


def check_adjacent(
    whole: dict[str, Any], left: dict[str, Any], right: dict[str, Any], label: str
) -> list[str]:
    """(b) [start, middle] + [middle+1, end] = [start, end] for every scope and gain."""
    problems = []
    for group in ("accounts", "creators", "accountVideos", "individualVideos", "organization"):
        items = {"": whole[group]} if group == "organization" else whole[group]
        for key in items:
            w = whole[group] if group == "organization" else whole[group][key]
            a = left[group] if group == "organization" else left[group][key]
            b = right[group] if group == "organization" else right[group][key]
            names = COUNTERS if "Videos" in group else GAINS
            for name in names:
                wm, am, bm = w["metrics"][name], a["metrics"][name], b["metrics"][name]
                if wm != add(am, bm):
                    problems.append(f"{label} {group}.{key}.{name}: {am!r} + {bm!r} ≠ {wm!r}")
            if "Videos" not in group and w["metrics"]["followers"] != b["metrics"]["followers"]:
                problems.append(f"{label} {group}.{key}.followers: level at the common end")
    return problems


def check_organization_sum(answer: dict[str, Any], history: History, label: str) -> list[str]:
    """(c) organization = Σ accounts + Σ individual-only videos (each day and the window)."""
    problems = []
    organization = answer["organization"]
    accounts = list(answer["accounts"].values())
    loose = [v for v in answer["individualVideos"].values() if v["account"] is None]
    loose_keys = [k for k, v in answer["individualVideos"].items() if v["account"] is None]
    published = {v.key: v.published for v in history.videos}
    window = organization["metrics"]["window"]
    start = date.fromisoformat(window["start"])
    days = window["days"]
    for name in COUNTERS:
        parts = [a["metrics"][name] for a in accounts] + [v["metrics"][name] for v in loose]
        if organization["metrics"][name] != total(parts):
            problems.append(
                f"{label} organization.{name} {organization['metrics'][name]!r} ≠ Σ {parts!r}"
            )
        for i in range(days):
            parts = [a["series"][name][i] for a in accounts] + [v["series"][name][i] for v in loose]
            if organization["series"][name][i] != total(parts):
                problems.append(f"{label} organization.series.{name}[{i}] ≠ Σ {parts!r}")
    for name in ("followers", "followersChange"):
        parts = [a["metrics"][name] for a in accounts]
        if organization["metrics"][name] != total(parts):
            problems.append(f"{label} organization.{name} ≠ Σ accounts {parts!r}")
    today = today_utc()
    loose_published = 0
    for key in loose_keys:
        offset = published[key]
        if offset is not None and 0 <= (today + timedelta(days=offset) - start).days < days:
            loose_published += 1
    expected_published = sum(a["metrics"]["videosPublished"] for a in accounts) + loose_published
    if organization["metrics"]["videosPublished"] != expected_published:
        problems.append(
            f"{label} organization.videosPublished {organization['metrics']['videosPublished']} "
            f"≠ Σ accounts + individual-only {expected_published}"
        )
    for i in range(days):
        seen = any(a["series"]["observed"][i] for a in accounts) or any(
            v["series"]["observed"][i] for v in loose
        )
        if organization["series"]["observed"][i] != seen:
            problems.append(f"{label} organization.series.observed[{i}] ≠ any member observed")
    return problems


def windows_of(history: History, today: date) -> dict[str, tuple[date, date]]:
    start, middle, end = (today + timedelta(days=d) for d in history.window)
    return {
        "whole": (start, end),
        "left": (start, middle),
        "right": (middle + timedelta(days=1), end),
    }


def all_properties(answers: dict[str, dict[str, Any]], history: History) -> list[str]:
    problems = []
    for label, answer in answers.items():
        problems += check_series_sums(answer, f"(a) [{label}]")
        problems += check_organization_sum(answer, history, f"(c) [{label}]")
    problems += check_adjacent(answers["whole"], answers["left"], answers["right"], "(b)")
    return problems


# --- the oracle alone --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, database=None)
@given(history=histories())
def test_oracle_satisfies_the_spec_consequences(history: History) -> None:
    today = today_utc()
    world = build_world(history, today)
    answers = {
        label: oracle.expected(world, oracle.Window(*window))
        for label, window in windows_of(history, today).items()
    }
    problems = all_properties(answers, history)
    assert not problems, "\n".join(problems[:30])


# --- the API -----------------------------------------------------------------------------------


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
async def test_api_properties_and_oracle_on_random_histories(
    make_org: Callable[..., Awaitable[Org]], history: History
) -> None:
    sc = Scenario(await make_org())
    await play(history, sc)
    answers = {}
    problems: list[str] = []
    for label, window in windows_of(history, sc.today).items():
        answers[label] = await sc.fetch(window)
        # (d) the API equals the oracle
        problems += differences(sc.expected(window), answers[label], f"(d) [{label}]")
    problems += all_properties(answers, history)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:30])
