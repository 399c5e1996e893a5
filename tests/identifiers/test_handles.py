"""Tests for handle normalisation, Platform.parse and parse_profile_ref."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.identifiers import IdentifierError, Platform, normalize_handle, parse_profile_ref

IG = Platform.INSTAGRAM
TT = Platform.TIKTOK


@pytest.mark.parametrize(
    ("platform", "raw", "expected"),
    [
        (IG, "natgeo", "natgeo"),
        (IG, "@NatGeo", "natgeo"),
        (IG, "  @marvelskies.fc\t", "marvelskies.fc"),
        (IG, "a", "a"),
        (IG, "_", "_"),
        (IG, "a" * 30, "a" * 30),
        (IG, "blue_bottle.coffee_", "blue_bottle.coffee_"),
        (IG, "1.2.3", "1.2.3"),
        (TT, "scout2015", "scout2015"),
        (TT, "@Scout2015 ", "scout2015"),
        (TT, "ab", "ab"),
        (TT, "a" * 24, "a" * 24),
        (TT, ".leading.dot", ".leading.dot"),
        (TT, "user..name", "user..name"),
        (TT, "user_", "user_"),
    ],
)
def test_normalize_handle_accepts(platform: Platform, raw: str, expected: str) -> None:
    assert normalize_handle(platform, raw) == expected


@pytest.mark.parametrize(
    ("platform", "raw"),
    [
        (IG, ""),
        (IG, "@"),
        (IG, "   "),
        (IG, "@@natgeo"),
        (IG, "a" * 31),
        (IG, ".natgeo"),
        (IG, "natgeo."),
        (IG, "nat..geo"),
        (IG, "nat-geo"),
        (IG, "nat geo"),
        (IG, "natgeo/"),
        (IG, "https://www.instagram.com/natgeo/"),
        (IG, "caf\u00e9"),
        (IG, "\u212aelvin"),  # the Kelvin sign lowercases to an ASCII "k"
        (IG, "nat\u0131geo"),
        (IG, "nat\ngeo"),
        (IG, "natgeo\x00"),
        (TT, "a"),
        (TT, "@a"),
        (TT, "a" * 25),
        (TT, "user."),
        (TT, "user-name"),
        (TT, "user@name"),
        (TT, "\uff53cout2015"),
    ],
)
def test_normalize_handle_rejects(platform: Platform, raw: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        normalize_handle(platform, raw)

    assert (caught.value.code, caught.value.field) == ("INVALID_HANDLE", "handle")
    assert platform.label in caught.value.message


@pytest.mark.parametrize("raw", [None, 42, b"natgeo"])
def test_normalize_handle_rejects_non_strings(raw: object) -> None:
    with pytest.raises(IdentifierError) as caught:
        normalize_handle(IG, raw)  # type: ignore[arg-type]

    assert caught.value.code == "INVALID_HANDLE"


def test_normalize_handle_accepts_a_platform_name_string() -> None:
    assert normalize_handle("tiktok", "@Ab") == "ab"  # type: ignore[arg-type]


@given(st.sampled_from([IG, TT]), st.text())
def test_normalize_handle_is_idempotent_or_raises_identifier_error(
    platform: Platform, raw: str
) -> None:
    try:
        result: str | IdentifierError = normalize_handle(platform, raw)
    except IdentifierError as error:
        result = error

    if isinstance(result, IdentifierError):
        assert result.code == "INVALID_HANDLE"
    else:
        assert normalize_handle(platform, result) == result
        assert result.isascii()
        assert result == result.lower()


# --- Platform ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("instagram", IG),
        ("INSTAGRAM", IG),
        ("Instagram", IG),
        (" tiktok ", TT),
        ("TikTok", TT),
        (IG, IG),
        (TT, TT),
    ],
)
def test_platform_parse(value: str, expected: Platform) -> None:
    assert Platform.parse(value) is expected


@pytest.mark.parametrize(
    "value", ["", "youtube", "insta", "tik tok", "\u0131nstagram", "tiktO\u212a", "TIKTOK\x00"]
)
def test_platform_parse_rejects_unknown_names(value: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        Platform.parse(value)

    assert (caught.value.code, caught.value.field) == ("UNKNOWN_PLATFORM", "platform")


def test_platform_parse_rejects_non_strings() -> None:
    with pytest.raises(IdentifierError, match="Unknown platform"):
        Platform.parse(None)  # type: ignore[arg-type]


def test_platform_values_and_labels() -> None:
    assert [(member.value, member.label) for member in Platform] == [
        ("INSTAGRAM", "Instagram"),
        ("TIKTOK", "TikTok"),
    ]


# --- parse_profile_ref ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"platform": IG, "handle": " @NatGeo "}, (IG, "natgeo")),
        ({"platform": TT, "handle": "@scout2015"}, (TT, "scout2015")),
        ({"platform": None, "url": "https://www.instagram.com/NatGeo/?hl=en"}, (IG, "natgeo")),
        ({"platform": None, "url": "tiktok.com/@Scout2015"}, (TT, "scout2015")),
        ({"platform": IG, "url": "https://www.instagram.com/natgeo/"}, (IG, "natgeo")),
        ({"platform": TT, "url": "https://m.tiktok.com/@scout2015/"}, (TT, "scout2015")),
    ],
)
def test_parse_profile_ref(kwargs: dict[str, object], expected: tuple[Platform, str]) -> None:
    assert parse_profile_ref(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"platform": IG}, "INVALID_INPUT", None),
        (
            {"platform": IG, "handle": "a", "url": "https://www.instagram.com/a/"},
            "INVALID_INPUT",
            None,
        ),
        ({"platform": None, "handle": "natgeo"}, "INVALID_INPUT", "platform"),
        ({"platform": TT, "url": "https://www.instagram.com/natgeo/"}, "INVALID_INPUT", "platform"),
        ({"platform": "myspace", "handle": "tom"}, "UNKNOWN_PLATFORM", "platform"),
        ({"platform": None, "url": "https://www.instagram.com/p/B/"}, "NOT_A_PROFILE_URL", "url"),
        ({"platform": TT, "url": "https://vm.tiktok.com/ZTR45GpSF/"}, "NOT_A_PROFILE_URL", "url"),
        (
            {"platform": None, "url": "https://www.tiktok.com/@x1/video/1"},
            "NOT_A_PROFILE_URL",
            "url",
        ),
        ({"platform": None, "url": "https://www.tiktok.com/@a"}, "INVALID_HANDLE", "url"),
        ({"platform": None, "url": "https://www.instagram.com/explore/"}, "UNSUPPORTED_URL", "url"),
        ({"platform": None, "url": "https://evil.com/natgeo"}, "INVALID_URL", "url"),
        ({"platform": IG, "handle": "nat..geo"}, "INVALID_HANDLE", "handle"),
        ({"platform": TT, "handle": "a"}, "INVALID_HANDLE", "handle"),
        ({"platform": TT, "handle": 7}, "INVALID_INPUT", "handle"),
    ],
)
def test_parse_profile_ref_errors(kwargs: dict[str, object], code: str, field: str | None) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_profile_ref(**kwargs)  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == (code, field)
