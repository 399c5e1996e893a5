"""Tests for shortcode ⇄ pk conversion and id-derived timestamps."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.identifiers import (
    IdentifierError,
    instagram_pk_time,
    parse_media_id,
    pk_to_shortcode,
    shortcode_to_pk,
    tiktok_id_time,
)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
U64_MAX = 2**64 - 1

# PLATFORMS.md §4.1-4.2, plus codes from yt-dlp's test URLs quoted there.
KNOWN_PAIRS = [
    ("aye83DjauH", 482584233761418119),
    ("CJBsZ11MYha", 2468449360609904730),
    ("CH-__hxDV7T", 2449676689849802451),
    ("B", 1),
    ("P__________", U64_MAX),
    ("9o6LshA7zy", 1110393198557248754),
    ("CWqAgUZgCku", 2713983946370066734),
    ("Cop84x6u7CP", 3038227208318201999),
    ("_", 63),
    ("BA", 64),
]


@pytest.mark.parametrize(("code", "pk"), KNOWN_PAIRS)
def test_shortcode_to_pk(code: str, pk: int) -> None:
    assert shortcode_to_pk(code) == pk


@pytest.mark.parametrize(("code", "pk"), KNOWN_PAIRS)
def test_pk_to_shortcode(code: str, pk: int) -> None:
    assert pk_to_shortcode(pk) == code


def test_private_code_decodes_its_first_eleven_characters() -> None:
    assert shortcode_to_pk("CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0") == 2448037011284432259
    assert pk_to_shortcode(2448037011284432259) == "CH5LLEGnhWD"


def test_zero_encodes_as_a_single_a() -> None:
    assert pk_to_shortcode(0) == "A"
    assert shortcode_to_pk("A") == 0


def test_leading_zero_digits_are_tolerated_when_decoding() -> None:
    assert shortcode_to_pk("AAAAAAAAAAB") == 1


@pytest.mark.parametrize(
    "code",
    [
        "",
        "CJBsZ11MYhaX",  # 12 characters
        "C" * 38,
        "C" * 40,
        "CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKCk0!",
        "CH5LLEGnhWDZpMs--h6rwCecLT3So9_ZOwTKC!0",  # the suffix is validated too
        "CJBs.Z11MYh",
        "CJBs Z11MYh",
        "CJBs+Z11MYh",  # standard base64, not the URL-safe alphabet
        "CJBs/Z11MYh",
        "CJBs=",
        "caf\u00e9",
        "\u0410BC",  # Cyrillic A
        "Q__________",  # 2**64 exactly
        "___________",  # 66 bits
    ],
)
def test_shortcode_to_pk_rejects_invalid_codes(code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        shortcode_to_pk(code)

    assert (caught.value.code, caught.value.field) == ("INVALID_SHORTCODE", "shortcode")


def test_sixty_bit_codes_are_valid() -> None:
    assert shortcode_to_pk("__________") == 2**60 - 1


@pytest.mark.parametrize("value", [None, 5, b"B"])
def test_shortcode_to_pk_rejects_non_strings(value: object) -> None:
    with pytest.raises(IdentifierError, match="Shortcode"):
        shortcode_to_pk(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("pk", [-1, 2**64, 2**100, True, False, 1.0, "1", None])
def test_pk_to_shortcode_rejects_values_outside_u64(pk: object) -> None:
    with pytest.raises(IdentifierError) as caught:
        pk_to_shortcode(pk)  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == ("INVALID_VIDEO_ID", "video_id")


@pytest.mark.parametrize(
    ("pk", "expected"),
    [
        (482584233761418119, datetime(2013, 6, 20, 17, 15, 45, 376000, tzinfo=UTC)),
        (2468449360609904730, datetime(2020, 12, 20, 16, 35, 16, 291000, tzinfo=UTC)),
        (2449676689849802451, datetime(2020, 11, 24, 18, 57, 19, 547000, tzinfo=UTC)),
        (0, datetime(2011, 8, 24, 21, 7, 1, 721000, tzinfo=UTC)),
    ],
)
def test_instagram_pk_time(pk: int, expected: datetime) -> None:
    assert instagram_pk_time(pk) == expected
    assert instagram_pk_time(pk).utcoffset() is not None


def test_instagram_pk_time_matches_yt_dlp_timestamp() -> None:
    assert int(instagram_pk_time(482584233761418119).timestamp()) == 1371748545


@pytest.mark.parametrize(
    ("video_id", "expected"),
    [
        (7106798200794926362, datetime(2022, 6, 8, 9, 26, 39, tzinfo=UTC)),
        (7320768187275005226, datetime.fromtimestamp(1704499169, UTC)),
        (U64_MAX, datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_tiktok_id_time(video_id: int, expected: datetime) -> None:
    assert tiktok_id_time(video_id) == expected
    assert tiktok_id_time(video_id).tzinfo is UTC


@pytest.mark.parametrize("function", [instagram_pk_time, tiktok_id_time])
@pytest.mark.parametrize("value", [-1, 2**64, True])
def test_id_times_reject_values_outside_u64(
    function: Callable[[int], datetime], value: int
) -> None:
    with pytest.raises(IdentifierError, match="64-bit"):
        function(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("7106798200794926362", 7106798200794926362), ("007", 7), (str(U64_MAX), U64_MAX)],
)
def test_parse_media_id(text: str, expected: int) -> None:
    assert parse_media_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "-1", "+1", " 1", "1 ", "1.0", "1e5", "0x1f", "1_000", "\u0661", "\uff11", "1" * 21],
)
def test_parse_media_id_rejects_non_decimal_text(text: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_media_id(text)

    assert (caught.value.code, caught.value.field) == ("INVALID_VIDEO_ID", "video_id")


def test_parse_media_id_rejects_twenty_digits_above_u64() -> None:
    assert parse_media_id(str(U64_MAX)) == U64_MAX
    with pytest.raises(IdentifierError, match="64-bit"):
        parse_media_id(str(U64_MAX + 1))


# --- property tests ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=U64_MAX))
def test_pk_round_trips_through_its_shortcode(pk: int) -> None:
    code = pk_to_shortcode(pk)

    assert 1 <= len(code) <= 11
    assert code == "A" or not code.startswith("A")
    assert shortcode_to_pk(code) == pk


@given(st.integers(min_value=0, max_value=U64_MAX))
def test_shortcode_matches_the_base64_of_the_padded_pk(pk: int) -> None:
    # PLATFORMS.md §4.2 gives this second, independent definition.
    encoded = base64.urlsafe_b64encode(b"\x00" + pk.to_bytes(8, "big")).decode()

    assert pk_to_shortcode(pk) == (encoded.lstrip("A") or "A")


@given(
    st.text(alphabet=ALPHABET, min_size=11, max_size=11),
    st.text(ALPHABET, min_size=28, max_size=28),
)
def test_private_codes_decode_like_their_public_prefix(public: str, suffix: str) -> None:
    try:
        expected = shortcode_to_pk(public)
    except IdentifierError:
        with pytest.raises(IdentifierError):
            shortcode_to_pk(public + suffix)
    else:
        assert shortcode_to_pk(public + suffix) == expected


@given(st.text())
def test_shortcode_to_pk_raises_only_identifier_errors(text: str) -> None:
    try:
        result: int | IdentifierError = shortcode_to_pk(text)
    except IdentifierError as error:
        result = error

    if isinstance(result, IdentifierError):
        assert result.code == "INVALID_SHORTCODE"
    else:
        assert 0 <= result <= U64_MAX


@given(st.text())
def test_parse_media_id_raises_only_identifier_errors(text: str) -> None:
    try:
        result: int | IdentifierError = parse_media_id(text)
    except IdentifierError as error:
        result = error

    if isinstance(result, IdentifierError):
        assert result.code == "INVALID_VIDEO_ID"
    else:
        assert int(text) == result
        assert text.isascii()
