"""Reading import files (CSV or NDJSON) as a stream of validated rows.

Every record of the file becomes exactly one of `AccountRow`, `VideoRow` or `BadRow`, carrying
the 1-based physical line where it starts (a CSV header is line 1). Validation is pure and
deterministic, so reading the same file twice yields the same rows: the importer relies on it
to stream the file twice instead of holding it in memory.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Final

from app.counts import MAX_COUNT
from app.identifiers import IdentifierError, Platform, normalize_handle, parse_media_id
from app.platforms.registry import spec

__all__ = [
    "PROFILE_COUNTS",
    "REQUIRED_COLUMNS",
    "VIDEO_COUNTS",
    "AccountRow",
    "BadRow",
    "ImportFormat",
    "ImportUsageError",
    "Record",
    "VideoRow",
    "detect_format",
    "read_records",
]

PROFILE_COUNTS: Final = ("followers", "following", "posts")
VIDEO_COUNTS: Final = ("views", "plays", "likes", "comments", "shares", "saves")
REQUIRED_COLUMNS: Final = ("platform", "kind", "handle", "date")
_INTEGRAL: Final = re.compile(r"(-?)([0-9]+)(?:\.0*)?")
_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EXTENSIONS: Final = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}


class ImportFormat(StrEnum):
    """The file formats the importer reads."""

    CSV = "csv"
    NDJSON = "ndjson"


class ImportUsageError(Exception):
    """The import cannot start at all (unknown organization, unreadable file, bad header...)."""


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One observation of an account's profile counters."""

    line: int
    platform: Platform
    handle: str
    day: date
    followers: int | None
    following: int | None
    posts: int | None


@dataclass(frozen=True, slots=True)
class VideoRow:
    """One observation of a video's counters; TikTok plays and saves are always None here."""

    line: int
    platform: Platform
    video_id: str  # canonical decimal string
    handle: str  # the author
    published_at: datetime | None
    day: date
    views: int | None
    plays: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A record skipped as a whole, with every reason found."""

    line: int
    reason: str


Record = AccountRow | VideoRow | BadRow


def detect_format(path: Path, explicit: str | None) -> ImportFormat:
    """The format named by `explicit`, or else by the file's extension."""
    name = explicit if explicit is not None else _EXTENSIONS.get(path.suffix.lower())
    if name is None:
        raise ImportUsageError(
            f"cannot tell the format of {path.name!r} from its extension "
            "(.csv, .ndjson or .jsonl); pass --format csv|ndjson"
        )
    try:
        return ImportFormat(name.lower())
    except ValueError:
        raise ImportUsageError(f"unknown format {name!r}; expected csv or ndjson") from None


def read_records(path: Path, fmt: ImportFormat, today: date) -> Generator[Record, None, None]:
    """Stream the file's records, validated; a record can span several CSV lines.

    Raises:
        ImportUsageError: the file cannot be opened, or a CSV file lacks a required column.
    """
    try:
        # Undecodable bytes become U+FFFD: the row they are in fails validation on its own
        # (or nothing happens when they sit in an ignored column), the rest of the file lands.
        handle = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise ImportUsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        if fmt is ImportFormat.CSV:
            yield from _csv_records(handle, today)
        else:
            yield from _ndjson_records(handle, today)


def _csv_records(stream: Iterator[str], today: date) -> Iterator[Record]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportUsageError("the file is empty: a CSV file starts with a header row") from None
    except csv.Error as exc:
        raise ImportUsageError(f"line 1: unreadable CSV header ({exc})") from exc
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportUsageError(
            "the CSV header lacks the column(s) "
            + ", ".join(missing)
            + f" (found: {', '.join(c for c in columns if c) or 'nothing'})"
        )
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise ImportUsageError("the CSV header repeats the column(s) " + ", ".join(duplicated))
    ended = reader.line_num
    while True:
        start = ended + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            ended = reader.line_num
            yield BadRow(start, f"unreadable CSV ({exc})")
            continue
        ended = reader.line_num
        if not values:
            continue  # a blank line
        if len(values) != len(columns):
            found = f"{len(values)} field" + ("" if len(values) == 1 else "s")
            yield BadRow(start, f"has {found}, the header has {len(columns)}")
            continue
        yield validate(dict(zip(columns, values, strict=True)), start, today, json_values=False)


def _ndjson_records(stream: Iterator[str], today: date) -> Iterator[Record]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            yield BadRow(number, f"not valid JSON ({exc})")
            continue
        if not isinstance(value, dict):
            yield BadRow(number, "not a JSON object")
            continue
        fields = {str(k).strip().lower(): v for k, v in value.items()}
        yield validate(fields, number, today, json_values=True)


class _Problems(list[str]):
    """The reasons a record is bad, the fields already blamed for having a wrong type, and
    whether the values are typed JSON values (NDJSON) or text (CSV)."""

    def __init__(self, *, json_values: bool) -> None:
        super().__init__()
        self.named: set[str] = set()
        self.json_values = json_values


def validate(fields: Mapping[str, object], line: int, today: date, *, json_values: bool) -> Record:
    """Turn one record's fields (CSV strings or JSON values) into a typed row or a bad row."""
    problems = _Problems(json_values=json_values)
    platform = _platform(fields, problems)
    kind = _text(fields, "kind", problems)
    if kind is not None and kind.lower() not in ("account", "video"):
        problems.append(f"unknown kind {_show(kind)} (expected account or video)")
    elif kind is None and "kind" not in problems.named:
        problems.append("kind is missing")
    handle = _handle(fields, platform, problems)
    day = _day(fields, today, problems)
    if kind is not None and kind.lower() == "video":
        return _video(fields, line, platform, handle, day, today, problems)
    counts = {name: _count(fields, name, problems) for name in PROFILE_COUNTS}
    if problems or platform is None or handle is None or day is None or kind is None:
        return BadRow(line, "; ".join(problems))
    return AccountRow(line, platform, handle, day, **counts)


def _video(
    fields: Mapping[str, object],
    line: int,
    platform: Platform | None,
    handle: str | None,
    day: date | None,
    today: date,
    problems: _Problems,
) -> Record:
    video_id = _video_id(fields, problems)
    published_at = _published_at(fields, today, problems)
    # e.g. TikTok: plays = views, saves never exist
    ignored = spec(platform).never_reported if platform is not None else frozenset()
    counts = {
        name: None if name in ignored else _count(fields, name, problems) for name in VIDEO_COUNTS
    }
    if problems or platform is None or handle is None or day is None or video_id is None:
        return BadRow(line, "; ".join(problems))
    return VideoRow(line, platform, video_id, handle, published_at, day, **counts)


# --- fields ------------------------------------------------------------------------------------


def _text(fields: Mapping[str, object], name: str, problems: _Problems) -> str | None:
    """A text field, stripped; None when missing or empty."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{name} must be a string, got {_show(value)}")
        problems.named.add(name)
        return None
    return value.strip() or None


def _platform(fields: Mapping[str, object], problems: _Problems) -> Platform | None:
    text = _text(fields, "platform", problems)
    if text is None:
        if "platform" not in problems.named:
            problems.append("platform is missing")
        return None
    try:
        return Platform.parse(text)
    except IdentifierError:
        problems.append(f"unknown platform {_show(text)} (expected instagram or tiktok)")
        return None


def _handle(
    fields: Mapping[str, object], platform: Platform | None, problems: _Problems
) -> str | None:
    text = _text(fields, "handle", problems)
    if text is None:
        if "handle" not in problems.named:
            problems.append("handle is missing")
        return None
    if platform is None:
        return None
    try:
        return normalize_handle(platform, text)
    except IdentifierError:
        problems.append(f"handle {_show(text)} is not a valid {platform.label} handle")
        return None


def _day(fields: Mapping[str, object], today: date, problems: _Problems) -> date | None:
    text = _text(fields, "date", problems)
    if text is None:
        if "date" not in problems.named:
            problems.append("date is missing")
        return None
    try:
        if _DAY.fullmatch(text) is None:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        problems.append(f"date {_show(text)} is not a YYYY-MM-DD date")
        return None
    if day > today:
        problems.append(f"date {day.isoformat()} is in the future")
        return None
    return day


def _video_id(fields: Mapping[str, object], problems: _Problems) -> str | None:
    value = fields.get("video_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a JSON number: exact in Python, but prefer strings (TikTok > 2^53)
    text = _text({"video_id": value}, "video_id", problems)
    if text is None:
        if "video_id" not in problems.named:
            problems.append("video_id is missing")
        return None
    try:
        return str(parse_media_id(text))
    except IdentifierError:
        problems.append(f"video_id {_show(text)} is not a numeric id")
        return None


def _published_at(
    fields: Mapping[str, object], today: date, problems: _Problems
) -> datetime | None:
    text = _text(fields, "published_at", problems)
    if text is None:
        return None
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"published_at {_show(text)} is not an ISO 8601 time")
        return None
    # No offset means UTC (the format's contract); an explicit offset is converted.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment.date() > today:
        problems.append(f"published_at {_show(text)} is in the future")
        return None
    return moment


def _count(fields: Mapping[str, object], name: str, problems: _Problems) -> int | None:
    """A count in [0, MAX_COUNT]; None (unknown) when missing, null, or empty in CSV."""
    value = fields.get(name)
    if value is None:
        return None
    if problems.json_values:
        number = _json_integer(value)
    elif isinstance(value, str) and not value.strip():
        return None
    else:
        number = _text_integer(value)
    if number is None:
        kind = "a JSON integer" if problems.json_values else "an integer"
        problems.append(f"{name} {_show(value)} is not {kind}")
    elif number < 0:
        problems.append(f"{name} {_show(value)} is negative")
    elif number > MAX_COUNT:
        problems.append(f"{name} {_show(value)} is over the maximum count {MAX_COUNT:,}")
    else:
        return number
    return None


def _json_integer(value: object) -> int | None:
    """A JSON number with no fractional part (JSON Schema's "integer": 12 and 12.0, not 12.5);
    strings ("12") and booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        # Doubles are exact up to 2^53, far above MAX_COUNT: a larger one is over it anyway.
        return int(value)
    return None


def _text_integer(value: object) -> int | None:
    """A CSV field's integer: digits, an optional minus, an optional all-zero fraction."""
    match = _INTEGRAL.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    return int(match[2]) * (-1 if match[1] else 1)


def _show(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
