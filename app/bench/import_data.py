"""The import benchmark's file: accounts and videos with daily, growing counts, from a seed."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from app.importer.rows import PROFILE_COUNTS, VIDEO_COUNTS

__all__ = ["HEADER", "ImportData", "write_import_csv"]

HEADER: tuple[str, ...] = ("platform", "kind", "handle", "video_id", "published_at", "date")
HEADER += PROFILE_COUNTS + VIDEO_COUNTS
DAYS = 365  # an account has a row for every day of the last year
ACCOUNT_SHARE = 0.1  # of the rows; the rest are videos'
VIDEO_DAYS = (60, 365)  # a video is observed daily for this many days
ACCOUNT_VIDEO_SHARE = 0.8  # of the videos; the rest are individual videos by other authors
PLATFORMS = ("instagram", "tiktok")
_ID_BASE = {"instagram": 3_100_000_000_000_000_000, "tiktok": 7_300_000_000_000_000_000}


@dataclass(frozen=True, slots=True)
class ImportData:
    """A generated file: every row good, one per distinct (entity, date)."""

    path: Path
    rows: int
    accounts: int
    videos: int
    first_day: date
    last_day: date

    @property
    def megabytes(self) -> float:
        """The file's size."""
        return self.path.stat().st_size / 1e6


@dataclass(slots=True)
class _Account:
    platform: str
    handle: str
    start: int  # index of its first day
    followers: float
    following: int
    posts: int
    growth: float  # mean daily follower growth

    def row(self, rng: random.Random, day: str) -> str:
        self.followers = max(0.0, self.followers * (1 + rng.gauss(self.growth, 0.002)))
        self.following = max(0, self.following + rng.choice((-1, 0, 0, 0, 1)))
        self.posts += rng.random() < 0.3
        following = "" if rng.random() < 0.01 else str(self.following)  # not reported that day
        counts = f"{int(self.followers)},{following},{self.posts}"
        return f"{self.platform},account,{self.handle},,,{day},{counts},,,,,,\n"


@dataclass(slots=True)
class _Video:
    platform: str
    handle: str
    video_id: int
    start: int
    days: int
    published_at: str
    total: float  # views it tends to
    tau: float  # days to reach 63 % of them
    rates: tuple[float, float, float, float]  # likes, comments, shares, saves per view

    def row(self, rng: random.Random, day: str, index: int) -> str:
        views = int(self.total * (1 - math.exp(-(index - self.start + 1) / self.tau)))
        likes, comments, shares, saves = (int(views * rate) for rate in self.rates)
        shown_likes = "" if rng.random() < 0.005 else str(likes)  # likes hidden that day
        if self.platform == "instagram":
            counts = f"{views},{int(views * 1.15)},{shown_likes},{comments},{shares},{saves}"
        else:  # TikTok: plays are views, saves never reported
            counts = f"{views},,{shown_likes},{comments},{shares},"
        head = f"{self.platform},video,{self.handle},{self.video_id},{self.published_at},{day}"
        return f"{head},,,,{counts}\n"


def _accounts(rng: random.Random, rows: int) -> list[_Account]:
    accounts: list[_Account] = []
    left = rows
    while left > 0:
        days = min(DAYS, left)
        index = len(accounts)
        accounts.append(
            _Account(
                platform=PLATFORMS[index % 2],
                handle=f"creator_{index:05d}",
                start=DAYS - days,
                followers=10 ** rng.uniform(3, 6.5),
                following=rng.randint(50, 2000),
                posts=rng.randint(20, 2000),
                growth=rng.uniform(-0.0005, 0.004),
            )
        )
        left -= days
    return accounts


def _videos(rng: random.Random, rows: int, accounts: list[_Account], first: date) -> list[_Video]:
    videos: list[_Video] = []
    left = rows
    while left > 0:
        days = min(rng.randint(*VIDEO_DAYS), left)
        start = rng.randint(0, DAYS - days)
        if accounts and rng.random() < ACCOUNT_VIDEO_SHARE:
            author = rng.choice(accounts)
            platform, handle = author.platform, author.handle
        else:
            platform, handle = rng.choice(PLATFORMS), f"guest_{rng.randrange(2000):04d}"
        # Published the day before its first row, at some time of that day (UTC).
        moment = datetime.combine(first + timedelta(days=start - 1), time()) + timedelta(
            seconds=rng.randrange(86_400)
        )
        rates = (
            rng.uniform(0.02, 0.12),
            rng.uniform(0.001, 0.01),
            rng.uniform(0.001, 0.02),
            rng.uniform(0.002, 0.02),
        )
        video_id = _ID_BASE[platform] + len(videos) * 1000 + rng.randrange(1000)
        total, tau = 10 ** rng.uniform(2.5, 6.5), rng.uniform(2, 30)
        published = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        videos.append(_Video(platform, handle, video_id, start, days, published, total, tau, rates))
        left -= days
    return videos


def _lines(
    rng: random.Random, accounts: list[_Account], videos: list[_Video], first: date
) -> Iterator[str]:
    """The rows sorted by date, as another tool's daily export would be."""
    yield ",".join(HEADER) + "\n"
    for index in range(DAYS):
        day = (first + timedelta(days=index)).isoformat()
        for account in accounts:
            if account.start <= index:
                yield account.row(rng, day)
        for video in videos:
            if video.start <= index < video.start + video.days:
                yield video.row(rng, day, index)


def write_import_csv(path: Path, rows: int, seed: int, last_day: date) -> ImportData:
    """Write `rows` good rows (a tenth accounts', the rest videos') ending on `last_day`.

    The same rows, seed and last day always give the same bytes.
    """
    if rows < 1:
        raise ValueError("the import file needs at least one row")
    rng = random.Random(seed)
    first = last_day - timedelta(days=DAYS - 1)
    account_rows = int(rows * ACCOUNT_SHARE)
    accounts = _accounts(rng, account_rows)
    videos = _videos(rng, rows - account_rows, accounts, first)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(_lines(rng, accounts, videos, first))
    return ImportData(path, rows, len(accounts), len(videos), first, last_day)
