"""A deliberately simple reference implementation of SPEC §4 (windows, series, comparisons).

Written from the specification alone, without looking at the engine (`app/metrics/*`), so the
tests compare two independent readings of the contract. Everything is computed day by day with
plain loops; nothing is cached, nothing is clever.

Rules implemented (SPEC §3, §4):

* Only the last observation of a UTC date counts (a later `observed_at` replaces an earlier one
  of the same date; an equal `observed_at` recorded later replaces it too).
* TikTok: plays = views, saves always unknown (whatever the source sends). Instagram: plays and
  saves only when given.
* Attribution, per counter of a video: between two consecutive *known* values the difference
  goes to the later value's date (negative allowed); the first known value goes to the publish
  date, or to its own date when the publish date is unknown or later than that date. An
  observation in which the counter is unknown changes nothing for that counter.
* Per counter, a day is null before the counter is known (before the date its first value was
  attributed to) and 0 on every later day with nothing attributed. A counter never reported
  stays null on every day.
* Followers: the first known value is a baseline (that day's change is 0); later known values
  move the level by their difference on their own date; the level carries forward; before the
  first known value both level and change are null.
* A scope's day value is the sum of its members' known values, null only when no member knows
  it; a window's value is the sum of its days, null only when every day is null.
* Account = its profile + all its videos (whatever their publish date). Creator = its accounts
  (each once). Organization = every account with its videos plus every individual video, each
  post once (a post that is both an account and an individual video is one video here).
* `videosPublished`: posts with a known publish date in the window (never null).
* `coverage`: fraction of the window's days with at least one observation (of any kind, even one
  whose counters are all unknown) of the scope or anything inside it.
* `engagementRate`: (likes + comments + shares) / views × 100 over the same gains, null parts of
  the numerator counting as 0; null when views is null, 0 or negative (SPEC §3), never -0.0.
* Comparison: previous window = same length ending the day before `start`; `change` = current −
  previous (null when either is null); `changePercent` = change / |previous| × 100 (null when
  previous is 0 or null); followers compare their levels at each window's end; the rate's change
  is in percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

TIKTOK = "TIKTOK"
INSTAGRAM = "INSTAGRAM"
COUNTERS = ("views", "plays", "likes", "comments", "shares", "saves")
ENGAGEMENT_FIELDS = (
    "followers",
    "followersChange",
    "videosPublished",
    *COUNTERS,
    "engagementRate",
)


# --- the world ---------------------------------------------------------------------------------


@dataclass
class Video:
    key: str  # the platform video id, unique in a test
    platform: str
    published: date | None
    account: str | None  # the author's account key when it is an account video
    individual: bool
    # per UTC date: (observed_at, counters as stored after platform normalisation)
    observations: dict[date, tuple[datetime, dict[str, int | None]]] = field(default_factory=dict)


@dataclass
class Account:
    key: str  # the handle
    platform: str
    # per UTC date: (observed_at, followers)
    observations: dict[date, tuple[datetime, int | None]] = field(default_factory=dict)


@dataclass
class World:
    """Everything one organization holds."""

    accounts: dict[str, Account] = field(default_factory=dict)
    videos: dict[str, Video] = field(default_factory=dict)
    creators: dict[str, list[str]] = field(default_factory=dict)

    def add_account(self, key: str, platform: str) -> None:
        self.accounts[key] = Account(key, platform)

    def add_video(
        self,
        key: str,
        platform: str,
        published: date | None,
        account: str | None,
        individual: bool,
    ) -> None:
        self.videos[key] = Video(key, platform, published, account, individual)

    def add_creator(self, name: str, accounts: list[str]) -> None:
        self.creators[name] = list(accounts)

    def record_video(
        self, key: str, observed_at: datetime, counters: dict[str, int | None]
    ) -> None:
        video = self.videos[key]
        values: dict[str, int | None] = {name: counters.get(name) for name in COUNTERS}
        if video.platform == TIKTOK:
            values["plays"] = values["views"]
            values["saves"] = None
        day = observed_at.date()
        current = video.observations.get(day)
        if current is None or observed_at >= current[0]:
            video.observations[day] = (observed_at, values)

    def record_profile(self, key: str, observed_at: datetime, followers: int | None) -> None:
        account = self.accounts[key]
        day = observed_at.date()
        current = account.observations.get(day)
        if current is None or observed_at >= current[0]:
            account.observations[day] = (observed_at, followers)

    def set_video_account(self, key: str, account: str | None) -> None:
        self.videos[key].account = account

    def forget_video(self, key: str) -> None:
        del self.videos[key]

    # --- scopes ---

    def account_videos(self, account: str) -> list[Video]:
        return [v for v in self.videos.values() if v.account == account]

    def scope_of_account(self, key: str) -> Scope:
        return Scope([self.accounts[key]], self.account_videos(key))

    def scope_of_creator(self, name: str) -> Scope:
        accounts = []
        for key in self.creators[name]:
            if self.accounts[key] not in accounts:
                accounts.append(self.accounts[key])
        videos = [v for v in self.videos.values() if v.account in {a.key for a in accounts}]
        return Scope(accounts, videos)

    def scope_of_organization(self) -> Scope:
        # every post once: a video row is one post whatever its roles
        return Scope(list(self.accounts.values()), list(self.videos.values()))


@dataclass
class Scope:
    profiles: list[Account]
    videos: list[Video]


# --- one entity, one day -----------------------------------------------------------------------


def video_counter_on(video: Video, counter: str, day: date) -> int | None:
    """The gain of `counter` attributed to `day` (None when nothing is known of it yet)."""
    known_days = sorted(
        d for d, (_, values) in video.observations.items() if values[counter] is not None
    )
    if not known_days:
        return None
    first = known_days[0]
    first_value = video.observations[first][1][counter]
    assert first_value is not None
    if video.published is not None and video.published <= first:
        first_attributed = video.published
    else:
        first_attributed = first
    if day < first_attributed:
        return None
    gain = 0
    if day == first_attributed:
        gain += first_value
    previous_value = first_value
    for d in known_days[1:]:
        value = video.observations[d][1][counter]
        assert value is not None
        if d == day:
            gain += value - previous_value
        previous_value = value
    return gain


def followers_level_on(account: Account, day: date) -> int | None:
    level = None
    for d in sorted(account.observations):
        if d > day:
            break
        value = account.observations[d][1]
        if value is not None:
            level = value
    return level


def followers_change_on(account: Account, day: date) -> int | None:
    known = sorted(d for d, (_, value) in account.observations.items() if value is not None)
    if not known or day < known[0]:
        return None
    if day == known[0]:
        return 0  # the first value is a baseline
    if day not in known:
        return 0
    index = known.index(day)
    current = account.observations[known[index]][1]
    previous = account.observations[known[index - 1]][1]
    assert current is not None
    assert previous is not None
    return current - previous


def add_known(total: int | None, value: int | None) -> int | None:
    """Sum of known values: null only when nothing is known."""
    if value is None:
        return total
    if total is None:
        return value
    return total + value


def rate(values: dict[str, Any]) -> float | None:
    views = values["views"]
    if views is None or views <= 0:
        return None
    numerator = sum(values[name] or 0 for name in ("likes", "comments", "shares"))
    result: float = numerator / views * 100
    return result


def scope_day(scope: Scope, day: date) -> dict[str, Any]:
    """Every metric of a scope on one day (gains; followers as a level)."""
    out: dict[str, Any] = {"followers": None, "followersChange": None, "videosPublished": 0}
    observed = False
    for account in scope.profiles:
        out["followers"] = add_known(out["followers"], followers_level_on(account, day))
        out["followersChange"] = add_known(
            out["followersChange"], followers_change_on(account, day)
        )
        if day in account.observations:
            observed = True
    for counter in COUNTERS:
        total = None
        for video in scope.videos:
            total = add_known(total, video_counter_on(video, counter, day))
        out[counter] = total
    for video in scope.videos:
        if video.published == day:
            out["videosPublished"] += 1
        if day in video.observations:
            observed = True
    out["engagementRate"] = rate(out)
    out["observed"] = observed
    return out


# --- windows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Window:
        end = self.start - timedelta(days=1)
        return Window(end - timedelta(days=self.days - 1), end)

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def preset(name: str, today: date) -> Window:
    length = {"D7": 7, "D30": 30, "D90": 90}[name]
    return Window(today - timedelta(days=length - 1), today)


def window_values(scope: Scope, window: Window) -> dict[str, Any]:
    """Metric values of a scope over a window (no `window` key, no rounding)."""
    days = [scope_day(scope, d) for d in window.dates()]
    out: dict[str, Any] = {}
    out["followers"] = days[-1]["followers"]  # level at the window's end
    change = None
    for day in days:
        change = add_known(change, day["followersChange"])
    out["followersChange"] = change
    out["videosPublished"] = sum(day["videosPublished"] for day in days)
    for counter in COUNTERS:
        total = None
        for day in days:
            total = add_known(total, day[counter])
        out[counter] = total
    out["engagementRate"] = rate(out)
    out["coverage"] = sum(1 for day in days if day["observed"]) / window.days
    return out


def series_values(scope: Scope, window: Window) -> dict[str, Any]:
    days = [scope_day(scope, d) for d in window.dates()]
    out: dict[str, Any] = {"dates": [d.isoformat() for d in window.dates()]}
    out["observed"] = [day["observed"] for day in days]
    for name in ENGAGEMENT_FIELDS:
        out[name] = [day[name] for day in days]
    return out


def count_change(current: int | None, previous: int | None) -> dict[str, Any]:
    change = None if current is None or previous is None else current - previous
    percent = None
    if change is not None and previous is not None and previous != 0:
        percent = change / abs(previous) * 100
    return {"current": current, "previous": previous, "change": change, "changePercent": percent}


def rate_change(current: float | None, previous: float | None) -> dict[str, Any]:
    change = None if current is None or previous is None else current - previous
    percent = None
    if change is not None and previous is not None and previous != 0:
        percent = change / abs(previous) * 100
    return {"current": current, "previous": previous, "change": change, "changePercent": percent}


# --- GraphQL-shaped expectations ---------------------------------------------------------------

VIDEO_METRIC_FIELDS = (*COUNTERS, "engagementRate", "coverage")
ENGAGEMENT_METRIC_FIELDS = (*ENGAGEMENT_FIELDS, "coverage")


def engagement_metrics(scope: Scope, window: Window) -> dict[str, Any]:
    values = window_values(scope, window)
    return {"window": window.as_json(), **{k: values[k] for k in ENGAGEMENT_METRIC_FIELDS}}


def engagement_series(scope: Scope, window: Window) -> dict[str, Any]:
    values = series_values(scope, window)
    return {"window": window.as_json(), **values}


def engagement_comparison(scope: Scope, window: Window) -> dict[str, Any]:
    previous_window = window.previous()
    current = window_values(scope, window)
    previous = window_values(scope, previous_window)
    out: dict[str, Any] = {"window": window.as_json(), "previousWindow": previous_window.as_json()}
    for name in ("followers", "followersChange", "videosPublished", *COUNTERS):
        out[name] = count_change(current[name], previous[name])
    out["engagementRate"] = rate_change(current["engagementRate"], previous["engagementRate"])
    return out


def video_metrics(video: Video, window: Window) -> dict[str, Any]:
    values = window_values(Scope([], [video]), window)
    return {"window": window.as_json(), **{k: values[k] for k in VIDEO_METRIC_FIELDS}}


def video_series(video: Video, window: Window) -> dict[str, Any]:
    values = series_values(Scope([], [video]), window)
    out: dict[str, Any] = {"window": window.as_json(), "dates": values["dates"]}
    out["observed"] = values["observed"]
    for name in (*COUNTERS, "engagementRate"):
        out[name] = values[name]
    return out


def video_comparison(video: Video, window: Window) -> dict[str, Any]:
    scope = Scope([], [video])
    previous_window = window.previous()
    current = window_values(scope, window)
    previous = window_values(scope, previous_window)
    out: dict[str, Any] = {"window": window.as_json(), "previousWindow": previous_window.as_json()}
    for name in COUNTERS:
        out[name] = count_change(current[name], previous[name])
    out["engagementRate"] = rate_change(current["engagementRate"], previous["engagementRate"])
    return out


def engagement_block(scope: Scope, window: Window) -> dict[str, Any]:
    return {
        "metrics": engagement_metrics(scope, window),
        "series": engagement_series(scope, window),
        "comparison": engagement_comparison(scope, window),
    }


def video_block(video: Video, window: Window) -> dict[str, Any]:
    return {
        "metrics": video_metrics(video, window),
        "series": video_series(video, window),
        "comparison": video_comparison(video, window),
    }


def expected(world: World, window: Window) -> dict[str, Any]:
    """The whole organization's expected answer, keyed like `harness.fetch` keys the API's."""
    return {
        "organization": engagement_block(world.scope_of_organization(), window),
        "accounts": {
            key: engagement_block(world.scope_of_account(key), window) for key in world.accounts
        },
        "creators": {
            name: engagement_block(world.scope_of_creator(name), window) for name in world.creators
        },
        "accountVideos": {
            key: {"account": video.account, **video_block(video, window)}
            for key, video in world.videos.items()
            if video.account is not None
        },
        "individualVideos": {
            key: {"account": video.account, **video_block(video, window)}
            for key, video in world.videos.items()
            if video.individual
        },
    }
