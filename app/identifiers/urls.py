"""Parsing of every Instagram and TikTok URL form in PLATFORMS.md §4 into canonical references."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import unquote_to_bytes

from app.identifiers.errors import IdentifierError, quote_input
from app.identifiers.handles import normalize_handle, validate_handle
from app.identifiers.platforms import Platform
from app.identifiers.shortcodes import (
    instagram_pk_time,
    parse_media_id,
    pk_to_shortcode,
    shortcode_to_pk,
    tiktok_id_time,
)

__all__ = [
    "ParsedUrl",
    "UrlKind",
    "VideoRef",
    "parse_profile_ref",
    "parse_url",
    "parse_video_ref",
]

MAX_URL_LENGTH: Final = 2048

_INSTAGRAM_HOSTS: Final = frozenset(
    {"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"}
)
_TIKTOK_HOSTS: Final = frozenset(
    {"tiktok.com", "www.tiktok.com", "m.tiktok.com", "tiktokv.com", "www.tiktokv.com"}
)
_TIKTOK_SHORT_HOSTS: Final = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}

# RFC 3986 characters allowed before the query; '[' and ']' only matter for IPv6 literals, which
# the host allow-list then refuses. Anything else (spaces, '\\', '<', non-ASCII) is refused early.
_URL_CHARS: Final = frozenset(string.ascii_letters + string.digits + "-._~:/@!$&'()*+,;=%[]")
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PERCENT_ENCODED: Final = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*")
_SHORT_CODE: Final = re.compile(r"[A-Za-z0-9_]{1,64}")
_SHARE_CODE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DEEP_LINK_MEDIA_ID: Final = re.compile(r"([0-9]{1,20})(?:_[0-9]{1,20})?")

# Instagram path segment → canonical path segment; IGTV (`tv`) posts open fine under `/p/`.
_INSTAGRAM_POST_PATHS: Final = {"p": "p", "tv": "p", "reel": "reel", "reels": "reel"}
_INSTAGRAM_POST_SUFFIXES: Final = frozenset({(), ("embed",), ("embed", "captioned")})
# First path segments of Instagram's own pages. Kept to paths known to be in use: a wrong entry
# would make a real account unreachable by URL.
_INSTAGRAM_RESERVED: Final = frozenset(
    {
        "about", "accounts", "api", "ar", "challenge", "developer", "direct", "directory",
        "emails", "explore", "graphql", "legal", "nametag", "oauth", "privacy", "s", "session",
        "static", "stories", "web", "your_activity",
    }
)  # fmt: skip
_TIKTOK_ID_PREFIXES: Final = frozenset(
    {("embed",), ("embed", "v2"), ("player", "v1"), ("share", "video")}
)

# Per platform (a table, not branches): the post a bare numeric id names, in its canonical URL
# form, and the platforms whose posts have shortcodes.
_POST_BY_NUMBER: Final[dict[Platform, Callable[[int], ParsedUrl]]] = {
    Platform.INSTAGRAM: lambda number: _instagram_post(number, "p", None),
    Platform.TIKTOK: lambda number: _tiktok_post(number, None, "video"),
}
_SHORTCODE_PLATFORMS: Final = frozenset({Platform.INSTAGRAM})


class UrlKind(StrEnum):
    """What a recognised URL points at."""

    POST = "POST"
    PROFILE = "PROFILE"
    SHORT_LINK = "SHORT_LINK"


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A recognised Instagram or TikTok URL reduced to its identifiers.

    `media_id` is a decimal string because TikTok ids may exceed 2**63. For short links only
    `platform`, `kind` and `canonical_url` are known until the redirect is followed.
    """

    platform: Platform
    kind: UrlKind
    canonical_url: str
    shortcode: str | None
    media_id: str | None
    handle: str | None
    published_at: datetime | None
    requires_resolution: bool


@dataclass(frozen=True, slots=True)
class VideoRef:
    """A post given by URL, shortcode or numeric id, reduced to the same identifiers."""

    platform: Platform
    media_id: str | None
    shortcode: str | None
    handle: str | None
    canonical_url: str | None
    published_at: datetime | None
    requires_resolution: bool


@dataclass(frozen=True, slots=True)
class _SplitUrl:
    scheme: str
    host: str
    segments: tuple[str, ...]
    query: str


def parse_url(raw: str) -> ParsedUrl:
    """Recognise an Instagram or TikTok post, profile or short-link URL.

    Raises:
        IdentifierError: with field ``url`` and code ``INVALID_URL`` (not a well-formed URL of
            a known host), ``UNSUPPORTED_URL`` (a real page that is neither post nor profile),
            ``INVALID_SHORTCODE``, ``INVALID_VIDEO_ID`` or ``INVALID_HANDLE``.
    """
    try:
        return _route(_split(raw))
    except IdentifierError as error:
        if error.field == "url":
            raise
        # The caller passed one argument, the URL, so that is the field at fault.
        raise IdentifierError(error.code, error.message, field="url") from error


def parse_video_ref(
    *,
    url: str | None = None,
    shortcode: str | None = None,
    video_id: str | None = None,
    platform: Platform | None = None,
) -> VideoRef:
    """Resolve exactly one of a post URL, an Instagram shortcode or a numeric id (with platform).

    Raises:
        IdentifierError: ``INVALID_INPUT`` for a wrong combination of arguments,
            ``NOT_A_VIDEO_URL`` for a profile URL, or any code of `parse_url`,
            `shortcode_to_pk` and `parse_media_id`.
    """
    _require_exactly_one(url=url, shortcode=shortcode, video_id=video_id)
    expected = None if platform is None else Platform.parse(platform)
    if url is not None:
        return _video_ref(_video_from_url(url, expected))
    if shortcode is not None:
        if expected is not None and expected not in _SHORTCODE_PLATFORMS:
            raise _invalid_input("A shortcode always names an Instagram post.", "platform")
        pk = shortcode_to_pk(_trim(shortcode, "shortcode"))
        return _video_ref(_instagram_post(pk, "p", None))
    if expected is None:
        raise _invalid_input("A numeric video id needs its platform.", "platform")
    number = parse_media_id(_trim(video_id, "video_id"))
    return _video_ref(_POST_BY_NUMBER[expected](number))


def parse_profile_ref(
    *, platform: Platform | None, handle: str | None = None, url: str | None = None
) -> tuple[Platform, str]:
    """Resolve exactly one of a handle (with platform) or a profile URL to (platform, handle).

    Raises:
        IdentifierError: ``INVALID_INPUT`` for a wrong combination of arguments,
            ``NOT_A_PROFILE_URL`` for a post or short link, ``INVALID_HANDLE``, or any code of
            `parse_url`.
    """
    _require_exactly_one(handle=handle, url=url)
    expected = None if platform is None else Platform.parse(platform)
    if url is not None:
        parsed = _parse_for(url, expected)
        if parsed.kind is not UrlKind.PROFILE or parsed.handle is None:
            raise IdentifierError("NOT_A_PROFILE_URL", "The URL is not a profile URL.", "url")
        return parsed.platform, parsed.handle
    if expected is None:
        raise _invalid_input("A handle needs its platform.", "platform")
    return expected, normalize_handle(expected, _trim(handle, "handle"))


# --- splitting --------------------------------------------------------------------------------


def _split(raw: str) -> _SplitUrl:
    if not isinstance(raw, str):
        raise _invalid_url("A URL must be a string.")
    # Checked before stripping so that a huge input costs no more than one len().
    if len(raw) > MAX_URL_LENGTH:
        raise _invalid_url(f"A URL may not be longer than {MAX_URL_LENGTH} characters.")
    text = raw.strip()
    if not text:
        raise _invalid_url("The URL is empty.")
    head, _, fragment = text.partition("#")
    head, _, query = head.partition("?")
    _check_characters(head, query + fragment)
    scheme, rest = _split_scheme(head)
    if not rest.startswith("//"):
        raise _invalid_url("The URL has no host.")
    authority, _, path = rest[2:].partition("/")
    return _SplitUrl(scheme, _host(authority, scheme), _segments(path), query)


def _check_characters(head: str, tail: str) -> None:
    # The query and fragment are discarded (bar the deep-link id), so they may hold any visible
    # text; control, format and whitespace characters are refused everywhere.
    if any(char not in _URL_CHARS for char in head) or any(
        not char.isprintable() or char.isspace() for char in tail
    ):
        raise _invalid_url("The URL contains characters that are not allowed.")


def _split_scheme(head: str) -> tuple[str, str]:
    if head.startswith("//"):
        return "https", head
    match = _SCHEME.match(head)
    # "instagram.com:443/p/x" also looks like "scheme:rest"; a real scheme has no dot.
    if match is None or "." in match[1]:
        return "https", "//" + head
    scheme = match[1].lower()
    if scheme not in _DEFAULT_PORTS and scheme != "instagram":
        raise _invalid_url(f"The scheme {quote_input(scheme)} is not allowed.")
    return scheme, head[match.end() :]


def _host(authority: str, scheme: str) -> str:
    # Userinfo is never legitimate here and is the classic "tiktok.com@evil.com" disguise.
    if "@" in authority:
        raise _invalid_url("Credentials in a URL are not accepted.")
    host, colon, port = authority.partition(":")
    if colon and port != _DEFAULT_PORTS.get(scheme):
        raise _invalid_url("Only the default port is accepted.")
    host = host.lower()
    return host[:-1] if host.endswith(".") else host


def _segments(path: str) -> tuple[str, ...]:
    return tuple(_decode_segment(segment) for segment in path.split("/") if segment)


def _decode_segment(segment: str) -> str:
    if "%" in segment:
        if _PERCENT_ENCODED.fullmatch(segment) is None:
            raise _invalid_url("The URL has a malformed percent-escape.")
        try:
            segment = unquote_to_bytes(segment).decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid_url("The URL path is not valid UTF-8.") from None
        # Escaped separators, escapes of escapes and invisible characters only serve to smuggle.
        if any(char in "/\\%" or not char.isprintable() or char.isspace() for char in segment):
            raise _invalid_url("The URL path hides forbidden characters in escapes.")
    if segment in {".", ".."}:
        raise _invalid_url("The URL path may not contain '.' or '..' segments.")
    return segment


# --- routing ----------------------------------------------------------------------------------


def _route(url: _SplitUrl) -> ParsedUrl:
    if url.scheme == "instagram":
        return _instagram_deep_link(url)
    if url.host in _INSTAGRAM_HOSTS:
        return _instagram_path(url.segments)
    if url.host in _TIKTOK_SHORT_HOSTS:
        return _tiktok_short_link(url.host, url.segments)
    if url.host in _TIKTOK_HOSTS:
        return _tiktok_path(url.segments)
    raise _invalid_url("The URL is not an Instagram or TikTok address.")


def _instagram_deep_link(url: _SplitUrl) -> ParsedUrl:
    if url.segments:
        raise _unsupported(Platform.INSTAGRAM)
    if url.host == "media":
        match = _DEEP_LINK_MEDIA_ID.fullmatch(_query_value(url.query, "id"))
        if match is None:
            raise _invalid_url("The deep link has no numeric media id.")
        # Private-API ids read "<pk>_<owner id>"; the pk is the part before "_".
        return _instagram_post(parse_media_id(match[1]), "p", None)
    if url.host == "user":
        return _instagram_profile(_query_value(url.query, "username"))
    raise _unsupported(Platform.INSTAGRAM)


def _query_value(query: str, name: str) -> str:
    values = {
        value
        for key, _, value in (pair.partition("=") for pair in query.split("&"))
        if key.lower() == name
    }
    if len(values) != 1:
        raise _invalid_url(f"The deep link needs exactly one {name!r} parameter.")
    return values.pop()


def _instagram_path(segments: tuple[str, ...]) -> ParsedUrl:
    first = segments[0].lower() if segments else ""
    if first in _INSTAGRAM_POST_PATHS:
        return _instagram_post_path(segments, None)
    if first == "share":
        return _instagram_share(segments[1:])
    if not segments or first in _INSTAGRAM_RESERVED:
        raise _unsupported(Platform.INSTAGRAM)
    if len(segments) == 1:
        return _instagram_profile(segments[0])
    if segments[1].lower() in _INSTAGRAM_POST_PATHS:
        return _instagram_post_path(segments[1:], segments[0])
    raise _unsupported(Platform.INSTAGRAM)


def _instagram_post_path(segments: tuple[str, ...], raw_handle: str | None) -> ParsedUrl:
    kind, code, suffix = segments[0].lower(), segments[1:2], segments[2:]
    if kind == "reels" and (not code or code[0].lower() == "audio"):
        raise _unsupported(Platform.INSTAGRAM)  # the Reels feed or an audio page
    if not code:
        raise _invalid_url("The Instagram post URL has no shortcode.")
    if tuple(part.lower() for part in suffix) not in _INSTAGRAM_POST_SUFFIXES:
        raise _unsupported(Platform.INSTAGRAM)
    pk = shortcode_to_pk(code[0])
    handle = None if raw_handle is None else validate_handle(Platform.INSTAGRAM, raw_handle)
    return _instagram_post(pk, _INSTAGRAM_POST_PATHS[kind], handle)


def _instagram_share(segments: tuple[str, ...]) -> ParsedUrl:
    if segments and segments[0].lower() in _INSTAGRAM_POST_PATHS:
        segments = (segments[0].lower(), *segments[1:])
    if not 1 <= len(segments) <= 2 or _SHARE_CODE.fullmatch(segments[-1]) is None:
        raise _invalid_url("The Instagram share link is malformed.")
    path = "/".join(segments)
    return _short_link(Platform.INSTAGRAM, f"https://www.instagram.com/share/{path}/")


def _tiktok_short_link(host: str, segments: tuple[str, ...]) -> ParsedUrl:
    if len(segments) != 1 or _SHORT_CODE.fullmatch(segments[0]) is None:
        raise _invalid_url("The TikTok short link is malformed.")
    return _short_link(Platform.TIKTOK, f"https://{host}/{segments[0]}/")


def _tiktok_path(segments: tuple[str, ...]) -> ParsedUrl:
    if segments and segments[0].startswith("@"):
        return _tiktok_user_path(segments[0][1:], segments[1:])
    prefix = tuple(part.lower() for part in segments[:-1])
    last = segments[-1] if segments else ""
    if prefix in _TIKTOK_ID_PREFIXES:
        return _tiktok_post(parse_media_id(last), None, "video")
    if prefix == ("v",):  # m.tiktok.com/v/<id>.html
        return _tiktok_post(parse_media_id(last.removesuffix(".html")), None, "video")
    if prefix == ("t",):
        if _SHORT_CODE.fullmatch(last) is None:
            raise _invalid_url("The TikTok short link is malformed.")
        return _short_link(Platform.TIKTOK, f"https://www.tiktok.com/t/{last}/")
    raise _unsupported(Platform.TIKTOK)


def _tiktok_user_path(raw_handle: str, rest: tuple[str, ...]) -> ParsedUrl:
    if not rest:
        return _tiktok_profile(raw_handle)
    kind = rest[0].lower()
    if kind not in {"video", "photo"}:
        raise _unsupported(Platform.TIKTOK)  # live, collection, playlist...
    if len(rest) == 1:
        raise _invalid_url(f"The TikTok {kind} URL has no id.")
    if len(rest) > 2:
        raise _unsupported(Platform.TIKTOK)
    video_id = parse_media_id(rest[1])
    # "@/video/<id>" (no username) is a form TikTok itself serves.
    handle = validate_handle(Platform.TIKTOK, raw_handle) if raw_handle else None
    return _tiktok_post(video_id, handle, kind)


# --- results ----------------------------------------------------------------------------------


def _instagram_post(pk: int, path: str, handle: str | None) -> ParsedUrl:
    # Re-encoding the pk drops the private suffix and any leading "A"s, so one post has one URL.
    shortcode = pk_to_shortcode(pk)
    return ParsedUrl(
        platform=Platform.INSTAGRAM,
        kind=UrlKind.POST,
        canonical_url=f"https://www.instagram.com/{path}/{shortcode}/",
        shortcode=shortcode,
        media_id=str(pk),
        handle=handle,
        published_at=instagram_pk_time(pk),
        requires_resolution=False,
    )


def _tiktok_post(video_id: int, handle: str | None, kind: str) -> ParsedUrl:
    return ParsedUrl(
        platform=Platform.TIKTOK,
        kind=UrlKind.POST,
        canonical_url=f"https://www.tiktok.com/@{handle or ''}/{kind}/{video_id}",
        shortcode=None,
        media_id=str(video_id),
        handle=handle,
        published_at=tiktok_id_time(video_id),
        requires_resolution=False,
    )


def _instagram_profile(raw_handle: str) -> ParsedUrl:
    handle = validate_handle(Platform.INSTAGRAM, raw_handle)
    return _profile(Platform.INSTAGRAM, handle, f"https://www.instagram.com/{handle}/")


def _tiktok_profile(raw_handle: str) -> ParsedUrl:
    handle = validate_handle(Platform.TIKTOK, raw_handle)
    return _profile(Platform.TIKTOK, handle, f"https://www.tiktok.com/@{handle}")


def _profile(platform: Platform, handle: str, canonical_url: str) -> ParsedUrl:
    return ParsedUrl(platform, UrlKind.PROFILE, canonical_url, None, None, handle, None, False)


def _short_link(platform: Platform, canonical_url: str) -> ParsedUrl:
    return ParsedUrl(platform, UrlKind.SHORT_LINK, canonical_url, None, None, None, None, True)


def _video_ref(parsed: ParsedUrl) -> VideoRef:
    return VideoRef(
        platform=parsed.platform,
        media_id=parsed.media_id,
        shortcode=parsed.shortcode,
        handle=parsed.handle,
        canonical_url=parsed.canonical_url,
        published_at=parsed.published_at,
        requires_resolution=parsed.requires_resolution,
    )


# --- argument checks --------------------------------------------------------------------------


def _video_from_url(url: str, expected: Platform | None) -> ParsedUrl:
    parsed = _parse_for(url, expected)
    if parsed.kind is UrlKind.PROFILE:
        raise IdentifierError("NOT_A_VIDEO_URL", "The URL is a profile, not a post.", "url")
    return parsed


def _parse_for(url: str, expected: Platform | None) -> ParsedUrl:
    parsed = parse_url(url)
    if expected is not None and parsed.platform is not expected:
        raise _invalid_input(
            f"The URL is a {parsed.platform.label} URL but platform is {expected.label}.",
            "platform",
        )
    return parsed


def _require_exactly_one(**arguments: str | None) -> None:
    if sum(value is not None for value in arguments.values()) != 1:
        names = ", ".join(arguments)
        raise _invalid_input(f"Give exactly one of: {names}.", None)


def _trim(value: object, field: str) -> str:
    # GraphQL and CSV callers hand over raw text; untyped callers might hand over anything.
    if not isinstance(value, str):
        raise _invalid_input(f"{field} must be a string.", field)
    return value.strip()


def _invalid_input(message: str, field: str | None) -> IdentifierError:
    return IdentifierError("INVALID_INPUT", message, field)


def _invalid_url(message: str) -> IdentifierError:
    return IdentifierError("INVALID_URL", message, "url")


def _unsupported(platform: Platform) -> IdentifierError:
    return IdentifierError(
        "UNSUPPORTED_URL",
        f"This {platform.label} URL is neither a post nor a profile.",
        "url",
    )
