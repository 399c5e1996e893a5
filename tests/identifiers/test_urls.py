"""Tests for parse_url, parse_video_ref and the package surface."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

import app.identifiers
from app.identifiers import (
    ERROR_CODES,
    IdentifierError,
    ParsedUrl,
    Platform,
    UrlKind,
    VideoRef,
    parse_url,
    parse_video_ref,
)

IG = Platform.INSTAGRAM
TT = Platform.TIKTOK
POST, PROFILE, SHORT = UrlKind.POST, UrlKind.PROFILE, UrlKind.SHORT_LINK


class Case(NamedTuple):
    url: str
    platform: Platform
    kind: UrlKind
    canonical_url: str
    shortcode: str | None = None
    media_id: str | None = None
    handle: str | None = None


def ig_post(url: str, path: str, code: str, pk: int, handle: str | None = None) -> Case:
    canonical = f"https://www.instagram.com/{path}/{code}/"
    return Case(url, IG, POST, canonical, code, str(pk), handle)


def tt_post(url: str, video_id: int, handle: str | None = None, kind: str = "video") -> Case:
    canonical = f"https://www.tiktok.com/@{handle or ''}/{kind}/{video_id}"
    return Case(url, TT, POST, canonical, None, str(video_id), handle)


CJB = ("CJBsZ11MYha", 2468449360609904730)
AYE = ("aye83DjauH", 482584233761418119)
CHR = ("CH-__hxDV7T", 2449676689849802451)
PRIVATE = ("CH5LLEGnhWD", 2448037011284432259)
EMBED = ("9o6LshA7zy", 1110393198557248754)
TT_DOC = 7106798200794926362
TT_SCOUT = 6718335390845095173
TT_PHOTO = 7320768187275005226

VALID_CASES = [
    # Instagram posts: every form from PLATFORMS.md §4.1, plus host/scheme/case variants.
    ig_post("https://www.instagram.com/p/CJBsZ11MYha/", "p", *CJB),
    ig_post("https://instagram.com/p/aye83DjauH/?foo=bar#abc", "p", *AYE),
    ig_post("https://www.instagram.com/reel/CH-__hxDV7T/", "reel", *CHR),
    ig_post(
        "https://www.instagram.com/reels/Cop84x6u7CP/", "reel", "Cop84x6u7CP", 3038227208318201999
    ),
    ig_post("https://www.instagram.com/tv/CJEivokDjPR/", "p", "CJEivokDjPR", 2469251302657242065),
    ig_post(
        "https://www.instagram.com/marvelskies.fc/reel/CWqAgUZgCku/",
        "reel",
        "CWqAgUZgCku",
        2713983946370066734,
        "marvelskies.fc",
    ),
    ig_post("https://www.instagram.com/p/9o6LshA7zy/embed/", "p", *EMBED),
    ig_post("https://www.instagram.com/p/9o6LshA7zy/embed/captioned/", "p", *EMBED),
    ig_post("instagram://media?id=482584233761418119", "p", *AYE),
    ig_post("instagram://media?id=2448037011284432259_1234567", "p", *PRIVATE),
    ig_post("instagr.am/p/aye83DjauH/", "p", *AYE),
    ig_post("http://www.instagr.am/p/CJBsZ11MYha", "p", *CJB),
    ig_post("https://www.instagram.com/p/CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0/", "p", *PRIVATE),
    ig_post("instagram.com/p/CJBsZ11MYha", "p", *CJB),
    ig_post("https://m.instagram.com/p/CJBsZ11MYha/", "p", *CJB),
    ig_post(
        "  https://www.instagram.com/reel/CH-__hxDV7T/?igsh=MWd3bWk5&utm_source=ig_web_copy_link ",
        "reel",
        *CHR,
    ),
    ig_post("https://www.instagram.com/p/CJBsZ11MYha/?img_index=2", "p", *CJB),
    ig_post("HTTPS://WWW.Instagram.COM/P/CJBsZ11MYha/", "p", *CJB),
    ig_post("https://www.instagram.com/p/B/", "p", "B", 1),
    ig_post("https://www.instagram.com/p/P__________/", "p", "P__________", 2**64 - 1),
    ig_post("https://www.instagram.com/p/AAB/", "p", "B", 1),
    ig_post("https://www.instagram.com/NatGeo/p/CJBsZ11MYha/", "p", *CJB, "natgeo"),
    ig_post(
        "https://www.instagram.com/natgeo/tv/CJEivokDjPR",
        "p",
        "CJEivokDjPR",
        2469251302657242065,
        "natgeo",
    ),
    ig_post(
        "https://www.instagram.com/reel/CH-__hxDV7T/embed/captioned/?utm_source=x", "reel", *CHR
    ),
    ig_post("https://www.instagram.com:443/p/CJBsZ11MYha/", "p", *CJB),
    ig_post("http://www.instagram.com:80/p/CJBsZ11MYha/", "p", *CJB),
    ig_post("//www.instagram.com/p/CJBsZ11MYha/", "p", *CJB),
    ig_post("https://www.instagram.com./p/CJBsZ11MYha/", "p", *CJB),
    ig_post("https://www.instagram.com/p/CJBsZ11MYha#comments", "p", *CJB),
    ig_post("https://www.instagram.com//p//CJBsZ11MYha//", "p", *CJB),
    ig_post("https://www.instagram.com/p/CJBsZ11MYha/?q=caf\u00e9", "p", *CJB),
    # Instagram profiles.
    Case(
        "https://www.instagram.com/bluebottle/",
        IG,
        PROFILE,
        "https://www.instagram.com/bluebottle/",
        handle="bluebottle",
    ),
    Case(
        "instagram.com/Blue.Bottle_Coffee?igsh=abc",
        IG,
        PROFILE,
        "https://www.instagram.com/blue.bottle_coffee/",
        handle="blue.bottle_coffee",
    ),
    Case(
        "https://www.instagram.com/natgeo",
        IG,
        PROFILE,
        "https://www.instagram.com/natgeo/",
        handle="natgeo",
    ),
    Case("https://m.instagram.com/a/", IG, PROFILE, "https://www.instagram.com/a/", handle="a"),
    Case(
        "https://www.instagram.com/marvelskies.fc/?hl=en",
        IG,
        PROFILE,
        "https://www.instagram.com/marvelskies.fc/",
        handle="marvelskies.fc",
    ),
    Case(
        "instagram://user?username=NatGeo",
        IG,
        PROFILE,
        "https://www.instagram.com/natgeo/",
        handle="natgeo",
    ),
    # Instagram share links: the post is only known after the redirect.
    Case(
        "https://www.instagram.com/share/BAHc6dyS7d/",
        IG,
        SHORT,
        "https://www.instagram.com/share/BAHc6dyS7d/",
    ),
    Case(
        "https://www.instagram.com/share/reel/_mAbCdEfG/?igsh=x",
        IG,
        SHORT,
        "https://www.instagram.com/share/reel/_mAbCdEfG/",
    ),
    Case(
        "instagram.com/share/P/BBx1-y_2", IG, SHORT, "https://www.instagram.com/share/p/BBx1-y_2/"
    ),
    # TikTok posts: every form from PLATFORMS.md §4.4.
    tt_post("https://www.tiktok.com/@scout2015/video/6718335390845095173", TT_SCOUT, "scout2015"),
    tt_post("https://www.tiktok.com/@/video/7106798200794926362", TT_DOC),
    tt_post(
        "https://www.tiktok.com/@leenabhushan/video/7106798200794926362"
        "?is_from_webapp=1&sender_device=pc&lang=en",
        TT_DOC,
        "leenabhushan",
    ),
    tt_post(
        "https://www.tiktok.com/@user.name_1/photo/7320768187275005226",
        TT_PHOTO,
        "user.name_1",
        "photo",
    ),
    tt_post("https://www.tiktok.com/@/photo/7320768187275005226", TT_PHOTO, None, "photo"),
    tt_post("https://www.tiktok.com/embed/7106798200794926362", TT_DOC),
    tt_post("https://www.tiktok.com/embed/v2/7106798200794926362", TT_DOC),
    tt_post("https://www.tiktok.com/player/v1/7106798200794926362?music_info=1", TT_DOC),
    tt_post("https://www.tiktokv.com/share/video/7106798200794926362/", TT_DOC),
    tt_post("https://m.tiktok.com/v/7106798200794926362.html", TT_DOC),
    tt_post("https://m.tiktok.com/@Scout2015/video/6718335390845095173", TT_SCOUT, "scout2015"),
    tt_post("tiktok.com/@scout2015/video/6718335390845095173/", TT_SCOUT, "scout2015"),
    tt_post("https://www.tiktok.com/%40scout2015/video/6718335390845095173", TT_SCOUT, "scout2015"),
    tt_post("https://www.tiktok.com/@scout2015/video/18446744073709551615", 2**64 - 1, "scout2015"),
    tt_post(
        "https://www.tiktok.com/@scout2015/video/7106798200794926362#comments", TT_DOC, "scout2015"
    ),
    tt_post(
        "http://tiktok.com/@scout2015/video/7106798200794926362?utm_source=copy&utm_medium=android",
        TT_DOC,
        "scout2015",
    ),
    tt_post("https://www.tiktok.com/@scout2015/VIDEO/7106798200794926362", TT_DOC, "scout2015"),
    # TikTok profiles.
    Case(
        "https://www.tiktok.com/@scout2015",
        TT,
        PROFILE,
        "https://www.tiktok.com/@scout2015",
        handle="scout2015",
    ),
    Case(
        "https://www.tiktok.com/@Scout2015/",
        TT,
        PROFILE,
        "https://www.tiktok.com/@scout2015",
        handle="scout2015",
    ),
    Case(
        "tiktok.com/@charlidamelio?lang=en",
        TT,
        PROFILE,
        "https://www.tiktok.com/@charlidamelio",
        handle="charlidamelio",
    ),
    Case(
        "https://m.tiktok.com/@user.name_1",
        TT,
        PROFILE,
        "https://www.tiktok.com/@user.name_1",
        handle="user.name_1",
    ),
    Case("https://www.tiktok.com/@ab#top", TT, PROFILE, "https://www.tiktok.com/@ab", handle="ab"),
    # TikTok short links.
    Case("https://vm.tiktok.com/ZTR45GpSF/", TT, SHORT, "https://vm.tiktok.com/ZTR45GpSF/"),
    Case("https://vt.tiktok.com/ZSFxyz123/", TT, SHORT, "https://vt.tiktok.com/ZSFxyz123/"),
    Case("https://www.tiktok.com/t/ZTRC5xgJp/", TT, SHORT, "https://www.tiktok.com/t/ZTRC5xgJp/"),
    Case("vm.tiktok.com/ZTR45GpSF", TT, SHORT, "https://vm.tiktok.com/ZTR45GpSF/"),
    Case("https://tiktok.com/t/ZTRC5xgJp?_r=1", TT, SHORT, "https://www.tiktok.com/t/ZTRC5xgJp/"),
    Case("http://VM.TIKTOK.COM/ZTR45GpSF/", TT, SHORT, "https://vm.tiktok.com/ZTR45GpSF/"),
]


def expected_time(platform: Platform, media_id: str) -> datetime:
    """The id-derived publish time, computed independently of the code under test."""
    number = int(media_id)
    if platform is IG:
        milliseconds = (number >> 23) + 1314220021721
        return datetime.fromtimestamp(milliseconds // 1000, UTC).replace(
            microsecond=milliseconds % 1000 * 1000
        )
    return datetime.fromtimestamp(number >> 32, UTC)


@pytest.mark.parametrize("case", VALID_CASES, ids=[case.url.strip() for case in VALID_CASES])
def test_parse_url_recognises_real_urls(case: Case) -> None:
    parsed = parse_url(case.url)

    assert (parsed.platform, parsed.kind, parsed.canonical_url) == (
        case.platform,
        case.kind,
        case.canonical_url,
    )
    assert (parsed.shortcode, parsed.media_id, parsed.handle) == (
        case.shortcode,
        case.media_id,
        case.handle,
    )
    assert parsed.requires_resolution is (case.kind is SHORT)
    if case.media_id is None:
        assert parsed.published_at is None
    else:
        assert parsed.published_at == expected_time(case.platform, case.media_id)


def test_table_is_large_enough() -> None:
    assert len(VALID_CASES) >= 60
    assert len(INVALID_CASES) >= 30


@pytest.mark.parametrize(
    ("url", "timestamp"),
    [
        ("https://instagram.com/p/aye83DjauH/", "2013-06-20T17:15:45"),
        ("https://www.instagram.com/p/CJBsZ11MYha/", "2020-12-20T16:35:16"),
        ("https://www.instagram.com/reel/CH-__hxDV7T/", "2020-11-24T18:57:19"),
        ("https://www.tiktok.com/@/video/7106798200794926362", "2022-06-08T09:26:39"),
        ("https://www.tiktok.com/@x1/video/7320768187275005226", "2024-01-05T23:59:29"),
    ],
)
def test_published_at_matches_the_documented_times(url: str, timestamp: str) -> None:
    published_at = parse_url(url).published_at

    assert published_at is not None
    assert published_at.tzinfo is UTC
    assert published_at.replace(microsecond=0) == datetime.fromisoformat(timestamp + "+00:00")


def test_aye83djauh_matches_the_yt_dlp_timestamp() -> None:
    published_at = parse_url("instagram://media?id=482584233761418119").published_at

    assert published_at is not None
    assert int(published_at.timestamp()) == 1371748545


INVALID_CASES = [
    # Not a URL, or not an http(s) URL.
    ("", "INVALID_URL"),
    ("   \t\n", "INVALID_URL"),
    ("https://www.instagram.com/p/" + "A" * 2030, "INVALID_URL"),
    ("javascript:alert(1)", "INVALID_URL"),
    ("JavaScript://www.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("file:///etc/passwd", "INVALID_URL"),
    ("ftp://instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("data:text/html;base64,PHNjcmlwdD4=", "INVALID_URL"),
    ("mailto:someone@instagram.com", "INVALID_URL"),
    ("@natgeo", "INVALID_URL"),
    ("/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https:///www.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https:www.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    # Other hosts, lookalikes and disguises.
    ("https://instagram.com.evil.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://evilinstagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "INVALID_URL"),
    ("https://tiktok.com@evil.com/@user/video/7106798200794926362", "INVALID_URL"),
    ("tiktok.com@evil.com", "INVALID_URL"),
    ("https://user:pass@www.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://evil.com/#@www.tiktok.com/@user", "INVALID_URL"),
    ("https://evil.com?.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://evil.com\\@www.instagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.\u0456nstagram.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.xn--nstagram-5ef.com/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.instagram.com\uff0fp\uff0fCJBsZ11MYha", "INVALID_URL"),
    ("https://[::1]/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.tiktok.com:8080/@user", "INVALID_URL"),
    ("https://www.instagram.com:80/p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.instagram.com:/p/CJBsZ11MYha/", "INVALID_URL"),
    # Control characters, invisible characters and smuggled paths.
    ("https://www.instagram.com/p/CJBs\nZ11MYha/", "INVALID_URL"),
    ("https://www.instagram.com/p/CJBsZ11MYha/\x00", "INVALID_URL"),
    ("https://www.tiktok.com/@user\r\n/video/7106798200794926362", "INVALID_URL"),
    ("https://www.instagram.com/p/CJBsZ11MYha\u200b/", "INVALID_URL"),
    ("https://www.instagram.com/p/CJBsZ11MYha/?x=\u202e", "INVALID_URL"),
    ("https://www.instagram.com/p/CJBsZ11MYha/#\x7f", "INVALID_URL"),
    ("https://www.instagram.com/p/CJB sZ11MYha/", "INVALID_URL"),
    ("https://www.instagram.com/p/%2e%2e/%2e%2e/etc/passwd", "INVALID_URL"),
    ("https://www.instagram.com/../p/CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.tiktok.com/@user/video/..%2f..%2f7106798200794926362", "INVALID_URL"),
    ("https://www.instagram.com/p/%252e%252e/", "INVALID_URL"),
    ("https://www.instagram.com/p/%zz/", "INVALID_URL"),
    ("https://www.instagram.com/p/%ff%fe/", "INVALID_URL"),
    ("https://www.instagram.com/p/%00CJBsZ11MYha/", "INVALID_URL"),
    ("https://www.instagram.com/<script>/", "INVALID_URL"),
    # Recognised hosts, but a post or short link with a missing part.
    ("https://www.instagram.com/p/", "INVALID_URL"),
    ("https://www.tiktok.com/@user/video/", "INVALID_URL"),
    ("https://vm.tiktok.com/", "INVALID_URL"),
    ("https://vm.tiktok.com/ZTR45GpSF/extra/", "INVALID_URL"),
    ("https://vt.tiktok.com/ZTR-45GpSF/", "INVALID_URL"),
    ("https://www.tiktok.com/t/ZTR.45/", "INVALID_URL"),
    ("https://www.instagram.com/share/", "INVALID_URL"),
    ("https://www.instagram.com/share/reel/a/b/", "INVALID_URL"),
    ("instagram://media?id=", "INVALID_URL"),
    ("instagram://media", "INVALID_URL"),
    ("instagram://media?id=1&id=2", "INVALID_URL"),
    ("instagram://media?id=-5", "INVALID_URL"),
    ("instagram://media:8080?id=1", "INVALID_URL"),
    # Real pages that are neither posts nor profiles.
    ("https://www.instagram.com/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/stories/natgeo/3038227208318201999/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/stories/highlights/17896450804038745/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/s/aGlnaGxpZ2h0OjE3OTA?story_media_id=3038_123", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/reels/audio/1997779980583573/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/natgeo/reels/audio/1997779980583573/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/reels/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/explore/tags/coffee/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/explore/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/accounts/login/?next=/p/CJBsZ11MYha/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/direct/inbox/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/natgeo/tagged/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/p/CJBsZ11MYha/liked_by/", "UNSUPPORTED_URL"),
    ("https://www.instagram.com/explore/p/CJBsZ11MYha/", "UNSUPPORTED_URL"),
    ("instagram://camera", "UNSUPPORTED_URL"),
    ("instagram://media/x?id=1", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/foryou", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/music/original-sound-6689804660171082501", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/music/%E5%8E%9F%E5%A3%B0-6689804660171082501", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/tag/fyp", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/@user/collection/funny-7123456789012345678", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/@user/live", "UNSUPPORTED_URL"),
    ("https://m.tiktok.com/share/live/7123456789012345678", "UNSUPPORTED_URL"),
    ("https://www.tiktok.com/@user/video/7106798200794926362/comments", "UNSUPPORTED_URL"),
    # Bad numeric ids.
    ("https://www.tiktok.com/@user/video/123abc", "INVALID_VIDEO_ID"),
    ("https://www.tiktok.com/@user/video/123456789012345678901", "INVALID_VIDEO_ID"),
    ("https://www.tiktok.com/@user/video/18446744073709551616", "INVALID_VIDEO_ID"),
    ("https://www.tiktok.com/embed/-1", "INVALID_VIDEO_ID"),
    ("https://www.tiktok.com/embed/v2/", "INVALID_VIDEO_ID"),
    ("https://www.tiktok.com/@user/video/%EF%BC%97", "INVALID_VIDEO_ID"),
    ("https://m.tiktok.com/v/12ab.html", "INVALID_VIDEO_ID"),
    ("instagram://media?id=18446744073709551616", "INVALID_VIDEO_ID"),
    # Bad shortcodes.
    ("https://www.instagram.com/p/CJBs.Z11MYha/", "INVALID_SHORTCODE"),
    ("https://www.instagram.com/p/CJBsZ11MYhaX/", "INVALID_SHORTCODE"),
    ("https://www.instagram.com/p/Q__________/", "INVALID_SHORTCODE"),
    (
        "https://www.instagram.com/reel/CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0X/",
        "INVALID_SHORTCODE",
    ),
    ("https://www.instagram.com/p/CJBs%21Z11MYha/", "INVALID_SHORTCODE"),
    # Usernames that fail the platform rules.
    ("https://www.instagram.com/.natgeo/", "INVALID_HANDLE"),
    ("https://www.instagram.com/nat..geo/", "INVALID_HANDLE"),
    ("https://www.instagram.com/" + "a" * 31 + "/", "INVALID_HANDLE"),
    ("https://www.instagram.com/@natgeo/", "INVALID_HANDLE"),
    ("https://www.instagram.com/nat-geo/p/CJBsZ11MYha/", "INVALID_HANDLE"),
    ("https://www.instagram.com/%E2%84%AAelvin/", "INVALID_HANDLE"),
    ("instagram://user?username=bad..name", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@a", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@user./", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@@user", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@bad-name/video/7106798200794926362", "INVALID_HANDLE"),
    ("https://www.tiktok.com/@" + "a" * 25, "INVALID_HANDLE"),
]


@pytest.mark.parametrize(("url", "code"), INVALID_CASES, ids=[url[:80] for url, _ in INVALID_CASES])
def test_parse_url_rejects_malformed_and_hostile_input(url: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_url(url)

    assert caught.value.code == code
    assert caught.value.field == "url"
    assert len(caught.value.message) < 200


def test_parse_url_accepts_exactly_2048_characters() -> None:
    url = "https://www.instagram.com/p/CJBsZ11MYha/?pad="
    url += "x" * (2048 - len(url))

    assert parse_url(url).shortcode == "CJBsZ11MYha"
    with pytest.raises(IdentifierError, match="2048"):
        parse_url(url + "x")


@pytest.mark.parametrize("value", [None, 42, b"https://www.instagram.com/p/B/"])
def test_parse_url_rejects_non_strings(value: object) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_url(value)  # type: ignore[arg-type]

    assert caught.value.code == "INVALID_URL"


def test_canonical_urls_parse_back_to_themselves() -> None:
    for case in VALID_CASES:
        first = parse_url(case.url)
        again = parse_url(first.canonical_url)

        # The canonical Instagram post URL drops the username prefix, and only that.
        assert again.handle in {first.handle, None}
        assert again == dataclasses.replace(first, handle=again.handle)


# --- property tests ---------------------------------------------------------------------------


def _assert_only_identifier_errors(text: str) -> None:
    try:
        result: ParsedUrl | IdentifierError = parse_url(text)
    except IdentifierError as error:
        result = error

    if isinstance(result, IdentifierError):
        assert result.code in ERROR_CODES
        assert result.field == "url"
    else:
        assert result.canonical_url.startswith("https://")
        assert result.canonical_url.isascii()


@given(st.text())
def test_parse_url_raises_only_identifier_errors_for_any_text(text: str) -> None:
    _assert_only_identifier_errors(text)


_SCHEMES = st.sampled_from(
    [
        "",
        "https://",
        "http://",
        "HTTPS://",
        "//",
        "instagram://",
        "javascript:",
        "file://",
        "ftp://",
    ]
)
_HOSTS = st.sampled_from(
    [
        "www.instagram.com", "instagram.com", "m.instagram.com", "instagr.am", "www.tiktok.com",
        "tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com", "www.tiktokv.com",
        "media", "user", "instagram.com.evil.com", "tiktok.com@evil.com", "evil.com",
        "www.instagram.com:443", "www.tiktok.com:8443", "WWW.TIKTOK.COM.", "",
    ]
)  # fmt: skip
_SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "p", "reel", "reels", "tv", "embed", "captioned", "v2", "player", "v1", "share",
            "video", "photo", "t", "v", "audio", "stories", "s", "music", "tag", "live",
            "@scout2015", "@", "@@x", "natgeo", "CJBsZ11MYha", "P__________", "Q__________",
            "CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0", "7106798200794926362",
            "18446744073709551616", "7106798200794926362.html", "ZTR45GpSF", ".", "..", "%2e%2e",
            "%40user", "%ff", "%", "%2F", "\x00", "\u0456", "\\", "",
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip
_QUERIES = st.sampled_from(
    ["", "?id=482584233761418119", "?id=1&id=2", "?username=natgeo", "?igsh=abc", "?\n", "?\u00e9"]
)
_FRAGMENTS = st.sampled_from(["", "#", "#abc", "#@evil.com", "#\x00"])


@given(
    st.tuples(
        _SCHEMES,
        _HOSTS,
        st.lists(_SEGMENTS, max_size=5).map(lambda parts: "/" + "/".join(parts)),
        st.sampled_from(["", "/"]),
        _QUERIES,
        _FRAGMENTS,
    ).map("".join)
)
def test_parse_url_raises_only_identifier_errors_for_url_like_text(url: str) -> None:
    _assert_only_identifier_errors(url)


@given(st.integers(min_value=0, max_value=2**64 - 1), st.sampled_from(["p", "reel", "tv"]))
def test_instagram_post_urls_round_trip_every_pk(pk: int, path: str) -> None:
    code = app.identifiers.pk_to_shortcode(pk)

    parsed = parse_url(f"https://www.instagram.com/{path}/{code}/")

    assert parsed.media_id == str(pk)
    assert parsed.shortcode == code


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_tiktok_video_urls_keep_every_u64_id(video_id: int) -> None:
    parsed = parse_url(f"https://www.tiktok.com/@scout2015/video/{video_id}")

    assert parsed.media_id == str(video_id)
    assert parsed.published_at == datetime.fromtimestamp(video_id >> 32, UTC)


# --- parse_video_ref --------------------------------------------------------------------------


def test_video_ref_from_instagram_url() -> None:
    ref = parse_video_ref(url="https://www.instagram.com/marvelskies.fc/reel/CWqAgUZgCku/")

    assert ref == VideoRef(
        platform=IG,
        media_id="2713983946370066734",
        shortcode="CWqAgUZgCku",
        handle="marvelskies.fc",
        canonical_url="https://www.instagram.com/reel/CWqAgUZgCku/",
        published_at=expected_time(IG, "2713983946370066734"),
        requires_resolution=False,
    )


def test_video_ref_from_tiktok_url_with_matching_platform() -> None:
    ref = parse_video_ref(url="https://www.tiktok.com/@/video/7106798200794926362", platform=TT)

    assert (ref.platform, ref.media_id, ref.shortcode, ref.handle) == (TT, str(TT_DOC), None, None)
    assert ref.published_at == datetime(2022, 6, 8, 9, 26, 39, tzinfo=UTC)


def test_video_ref_from_short_link_needs_resolution() -> None:
    ref = parse_video_ref(url="https://vm.tiktok.com/ZTR45GpSF/")

    assert ref == VideoRef(TT, None, None, None, "https://vm.tiktok.com/ZTR45GpSF/", None, True)


def test_video_ref_from_shortcode() -> None:
    ref = parse_video_ref(shortcode=" CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0 ")

    assert (ref.platform, ref.media_id, ref.shortcode) == (IG, "2448037011284432259", "CH5LLEGnhWD")
    assert ref.canonical_url == "https://www.instagram.com/p/CH5LLEGnhWD/"
    assert ref.requires_resolution is False


def test_video_ref_from_shortcode_with_instagram_platform() -> None:
    ref = parse_video_ref(shortcode="aye83DjauH", platform=IG)

    assert ref.media_id == "482584233761418119"
    assert ref.published_at is not None
    assert int(ref.published_at.timestamp()) == 1371748545


def test_video_ref_from_instagram_id_derives_the_shortcode() -> None:
    ref = parse_video_ref(video_id="18446744073709551615", platform=IG)

    assert (ref.shortcode, ref.canonical_url) == (
        "P__________",
        "https://www.instagram.com/p/P__________/",
    )


def test_video_ref_from_tiktok_id() -> None:
    ref = parse_video_ref(video_id="7106798200794926362", platform=Platform.parse("tiktok"))

    assert ref == VideoRef(
        platform=TT,
        media_id="7106798200794926362",
        shortcode=None,
        handle=None,
        canonical_url="https://www.tiktok.com/@/video/7106798200794926362",
        published_at=datetime(2022, 6, 8, 9, 26, 39, tzinfo=UTC),
        requires_resolution=False,
    )


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({}, "INVALID_INPUT", None),
        ({"url": "https://vm.tiktok.com/ZTR45GpSF/", "video_id": "1"}, "INVALID_INPUT", None),
        ({"shortcode": "B", "video_id": "1", "platform": IG}, "INVALID_INPUT", None),
        ({"url": "https://www.tiktok.com/@scout2015"}, "NOT_A_VIDEO_URL", "url"),
        ({"url": "https://www.instagram.com/natgeo/"}, "NOT_A_VIDEO_URL", "url"),
        ({"url": "https://www.instagram.com/p/B/", "platform": TT}, "INVALID_INPUT", "platform"),
        ({"url": "https://www.tiktok.com/tag/fyp"}, "UNSUPPORTED_URL", "url"),
        ({"url": "https://evil.com/p/B/"}, "INVALID_URL", "url"),
        ({"url": "https://www.instagram.com/p/B", "platform": "x"}, "UNKNOWN_PLATFORM", "platform"),
        ({"shortcode": "B", "platform": TT}, "INVALID_INPUT", "platform"),
        ({"shortcode": "CJBs!"}, "INVALID_SHORTCODE", "shortcode"),
        ({"shortcode": ""}, "INVALID_SHORTCODE", "shortcode"),
        ({"shortcode": 5}, "INVALID_INPUT", "shortcode"),
        ({"video_id": "7106798200794926362"}, "INVALID_INPUT", "platform"),
        ({"video_id": "+7106798200794926362", "platform": TT}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": "7_1", "platform": TT}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": "", "platform": IG}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": "1" * 21, "platform": TT}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": str(2**64), "platform": IG}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": str(2**64), "platform": TT}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": "\u0667\u0661", "platform": TT}, "INVALID_VIDEO_ID", "video_id"),
        ({"video_id": 7106798200794926362, "platform": TT}, "INVALID_INPUT", "video_id"),
    ],
)
def test_video_ref_errors(kwargs: dict[str, object], code: str, field: str | None) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_video_ref(**kwargs)  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == (code, field)


# --- package surface --------------------------------------------------------------------------


def test_public_api_is_complete_and_sorted() -> None:
    exported = app.identifiers.__all__

    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    assert set(exported) == {
        "ERROR_CODES",
        "IdentifierError",
        "ParsedUrl",
        "Platform",
        "UrlKind",
        "VideoRef",
        "instagram_pk_time",
        "normalize_handle",
        "parse_media_id",
        "parse_profile_ref",
        "parse_url",
        "parse_video_ref",
        "pk_to_shortcode",
        "shortcode_to_pk",
        "tiktok_id_time",
    }


def test_identifier_error_carries_code_message_and_field() -> None:
    error = IdentifierError("INVALID_URL", "The URL is empty.", field="url")

    assert isinstance(error, ValueError)
    assert (error.code, error.message, error.field, str(error)) == (
        "INVALID_URL",
        "The URL is empty.",
        "url",
        "The URL is empty.",
    )
    assert "INVALID_URL" in repr(error)


def test_identifier_error_survives_pickling() -> None:
    error = IdentifierError("INVALID_HANDLE", "bad", field="handle")

    restored = pickle.loads(pickle.dumps(error))

    assert (restored.code, restored.message, restored.field) == ("INVALID_HANDLE", "bad", "handle")


def test_parsed_url_is_immutable() -> None:
    parsed = parse_url("https://www.instagram.com/p/B/")

    with pytest.raises(AttributeError):
        parsed.shortcode = "C"  # type: ignore[misc]
