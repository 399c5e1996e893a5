"""Property: any sequence of valid imports and refreshes leaves an organization refreshable.

Counts are drawn from the whole allowed range, its edges (0, the maximum) weighted up; imports go
through the real importer (CSV or NDJSON files), refreshes through the metric store functions
the worker records with. After the sequence, one more refresh of every entity at the maximum
must succeed, and metrics, series and comparisons at every scope must answer without an error
and stay inside 64 bits. (How hypothesis runs async tests: see tests/metrics/test_invariants.py.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import models
from app.counts import MAX_COUNT
from app.importer import import_file
from app.importer.rows import PROFILE_COUNTS, VIDEO_COUNTS
from app.metrics import store
from app.metrics.windows import today_utc
from tests.conftest import Org

HORIZON = 40  # days of history
ACCOUNTS = (("tiktok", "prop.tt"), ("instagram", "prop.ig"))
# (platform, author, video id): an account video of each account, and an individual video
VIDEOS = (
    ("tiktok", "prop.tt", "7100000000000000001"),
    ("instagram", "prop.ig", "3000000000000000001"),
    ("tiktok", "someone.else", "7100000000000000002"),
)
COLUMNS = ("platform", "kind", "handle", "video_id", "date", *PROFILE_COUNTS, *VIDEO_COUNTS)

counts = st.one_of(
    st.none(),
    st.sampled_from([0, 1, MAX_COUNT - 1, MAX_COUNT]),
    st.integers(min_value=0, max_value=MAX_COUNT),
)


@dataclass(frozen=True)
class Observation:
    entity: int  # index into ACCOUNTS + VIDEOS
    offset: int  # days before today
    values: tuple[int | None, ...]  # followers, following, posts or the six video counts


observations = st.builds(
    Observation,
    entity=st.integers(0, len(ACCOUNTS) + len(VIDEOS) - 1),
    offset=st.integers(0, HORIZON),
    values=st.tuples(*([counts] * len(VIDEO_COUNTS))),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("import"), st.sampled_from(["csv", "ndjson"]), st.lists(observations)),
        st.tuples(st.just("refresh"), st.just(""), st.lists(observations, min_size=1)),
    ),
    max_size=6,
)


def _row(observation: Observation) -> dict[str, Any]:
    day = (today_utc() - timedelta(days=observation.offset)).isoformat()
    if observation.entity < len(ACCOUNTS):
        platform, handle = ACCOUNTS[observation.entity]
        named = dict(zip(PROFILE_COUNTS, observation.values, strict=False))
        return {"platform": platform, "kind": "account", "handle": handle, "date": day} | named
    platform, handle, video_id = VIDEOS[observation.entity - len(ACCOUNTS)]
    named = dict(zip(VIDEO_COUNTS, observation.values, strict=True))
    fields = {"platform": platform, "kind": "video", "handle": handle, "video_id": video_id}
    return fields | {"date": day} | named


def _file(tmp: Path, fmt: str, rows: list[dict[str, Any]]) -> Path:
    path = tmp / f"history-{len(list(tmp.iterdir()))}.{fmt}"
    if fmt == "ndjson":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return path
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


async def _refresh(org: Org, items: list[Observation], hour: int = 12) -> None:
    """Record observations the way a refresh does, one entity at a time."""
    accounts = dict(await models.Account.filter(organization_id=org.id).values_list("handle", "id"))
    videos = dict(
        await models.Video.filter(organization_id=org.id).values_list("platform_video_id", "id")
    )
    for item in items:
        moment = datetime.combine(
            today_utc() - timedelta(days=item.offset), datetime.min.time(), UTC
        ) + timedelta(hours=hour)
        moment = min(moment, datetime.now(UTC))
        if item.entity < len(ACCOUNTS):
            profile = store.ProfileCounters(moment, *item.values[:3])
            await store.record_profile(accounts[ACCOUNTS[item.entity][1]], [profile])
        else:
            video_id = VIDEOS[item.entity - len(ACCOUNTS)][2]
            await store.record_video(videos[video_id], [store.VideoCounters(moment, *item.values)])


QUERY = """
query($w: WindowInput!) {
  organization {
    metrics(window: $w) { followers followersChange views likes comments engagementRate }
    series(window: $w) { views likes followers }
    comparison(window: $w) { views { current previous change changePercent } }
  }
  accounts { nodes { metrics(window: $w) { followers views engagementRate } } }
  individualVideos { nodes { metrics(window: $w) { views likes } } }
}
"""


def _numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
async def test_any_valid_imports_and_refreshes_leave_the_organization_refreshable(
    make_org: Callable[..., Awaitable[Org]],
    tmp_path_factory: Any,
    history: list[tuple[str, str, list[Observation]]],
) -> None:
    org = await make_org()
    tmp = tmp_path_factory.mktemp("refreshable")
    every = [Observation(i, HORIZON, (None,) * 6) for i in range(len(ACCOUNTS) + len(VIDEOS))]
    created = await import_file(org.id, _file(tmp, "csv", [_row(o) for o in every]))
    assert created.bad == 0
    for kind, fmt, items in history:
        if kind == "import":
            report = await import_file(org.id, _file(tmp, fmt, [_row(o) for o in items]))
            assert report.bad == 0, report.bad_rows
        else:
            await _refresh(org, items)

    # then: a refresh of everything at the maximum is recorded, and every scope answers
    last = [Observation(i, 0, (MAX_COUNT,) * 6) for i in range(len(every))]
    await _refresh(org, last, hour=24)  # now: after every other observation
    for window in ({"preset": "D7"}, {"preset": "D90"}):
        answer = await org.gql(QUERY, {"w": window})
        assert not answer.errors, answer.errors
        assert all(abs(n) < 2**63 for n in _numbers(answer.data))
    totals = (await org.gql(QUERY, {"w": {"preset": "D7"}})).data["organization"]["metrics"]
    assert totals["followers"] == 2 * MAX_COUNT
