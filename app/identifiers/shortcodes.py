"""Instagram shortcode ⇄ media pk conversion and the creation times encoded in ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from app.identifiers.errors import IdentifierError, quote_input

__all__ = [
    "U64_MAX",
    "instagram_pk_time",
    "parse_media_id",
    "pk_to_shortcode",
    "shortcode_to_pk",
    "tiktok_id_time",
]

ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
U64_MAX: Final = 2**64 - 1
PUBLIC_CODE_LENGTH: Final = 11
PRIVATE_CODE_LENGTH: Final = 39
# Instagram's custom epoch (2011-08-24) in unix milliseconds; see PLATFORMS.md §4.3.
INSTAGRAM_EPOCH_MS: Final = 1314220021721

# ASCII digits only: str.isdigit() would also accept "²" or Arabic-Indic digits.
_DECIMAL_ID: Final = re.compile(r"[0-9]{1,20}")
_DIGIT_VALUES: Final = {char: value for value, char in enumerate(ALPHABET)}
_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def shortcode_to_pk(code: str) -> int:
    """Decode an Instagram shortcode into its unsigned 64-bit media pk.

    Private-account posts show a 39-character code whose first 11 characters are the public code;
    only those are decoded.

    Raises:
        IdentifierError: code ``INVALID_SHORTCODE`` for a wrong length, a character outside the
            URL-safe base64 alphabet, or a value that does not fit in 64 bits.
    """
    if not isinstance(code, str) or not (
        1 <= len(code) <= PUBLIC_CODE_LENGTH or len(code) == PRIVATE_CODE_LENGTH
    ):
        raise _invalid_shortcode(code, "must be 1-11 characters (or 39 for a private post)")
    if any(char not in _DIGIT_VALUES for char in code):
        raise _invalid_shortcode(code, "may only contain A-Z, a-z, 0-9, '-' and '_'")
    pk = 0
    for char in code[:PUBLIC_CODE_LENGTH]:
        pk = pk * 64 + _DIGIT_VALUES[char]
    if pk > U64_MAX:
        raise _invalid_shortcode(code, "does not fit in a 64-bit media id")
    return pk


def pk_to_shortcode(pk: int) -> str:
    """Encode an unsigned 64-bit Instagram media pk as its shortcode (``0`` encodes as ``"A"``).

    Raises:
        IdentifierError: code ``INVALID_VIDEO_ID`` unless ``pk`` is an int in ``0..2**64-1``.
    """
    _require_u64(pk)
    digits: list[str] = []
    while True:
        pk, remainder = divmod(pk, 64)
        digits.append(ALPHABET[remainder])
        if pk == 0:
            return "".join(reversed(digits))


def instagram_pk_time(pk: int) -> datetime:
    """Return the UTC creation time packed into the top 41 bits of an Instagram media pk."""
    _require_u64(pk)
    return _UNIX_EPOCH + timedelta(milliseconds=(pk >> 23) + INSTAGRAM_EPOCH_MS)


def tiktok_id_time(video_id: int) -> datetime:
    """Return the UTC time (whole seconds) in the top 32 bits of a TikTok video id."""
    # The id marks the upload start, which precedes `create_time` by ~30 s (PLATFORMS.md §4.3).
    _require_u64(video_id)
    return _UNIX_EPOCH + timedelta(seconds=video_id >> 32)


def parse_media_id(text: str) -> int:
    """Parse a decimal Instagram pk or TikTok video id (1-20 ASCII digits, no sign) as a u64.

    Raises:
        IdentifierError: code ``INVALID_VIDEO_ID`` (field ``video_id``) for anything else.
    """
    if not isinstance(text, str) or _DECIMAL_ID.fullmatch(text) is None:
        raise _invalid_id(text)
    value = int(text)
    _require_u64(value)
    return value


def _require_u64(value: int) -> None:
    # bool is an int subclass, and True silently meaning id 1 would hide a caller bug.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise _invalid_id(value)


def _invalid_id(value: object) -> IdentifierError:
    return IdentifierError(
        "INVALID_VIDEO_ID",
        f"Media id {quote_input(value)} is not an unsigned 64-bit decimal integer.",
        field="video_id",
    )


def _invalid_shortcode(code: object, reason: str) -> IdentifierError:
    return IdentifierError(
        "INVALID_SHORTCODE",
        f"Shortcode {quote_input(code)} {reason}.",
        field="shortcode",
    )
