"""Normalisation and validation of Instagram and TikTok usernames (handles)."""

from __future__ import annotations

import re
from typing import Final

from app.identifiers.errors import IdentifierError, quote_input
from app.identifiers.platforms import Platform

__all__ = ["normalize_handle", "validate_handle"]

# Lowercase only: callers lowercase first, and the character classes stay ASCII on purpose.
_INSTAGRAM_HANDLE: Final = re.compile(r"(?!\.)(?!.*\.\.)[a-z0-9._]{1,30}(?<!\.)")
_TIKTOK_HANDLE: Final = re.compile(r"[a-z0-9._]{2,24}(?<!\.)")

_PATTERNS: Final = {Platform.INSTAGRAM: _INSTAGRAM_HANDLE, Platform.TIKTOK: _TIKTOK_HANDLE}
_RULES: Final = {
    Platform.INSTAGRAM: "1-30 of a-z 0-9 . _, without a leading, trailing or doubled '.'",
    Platform.TIKTOK: "2-24 of a-z 0-9 . _, not ending with '.'",
}


def normalize_handle(platform: Platform, raw: str) -> str:
    """Return the canonical form of a user-typed handle such as ``" @NatGeo "`` → ``"natgeo"``.

    Surrounding whitespace and one leading ``@`` are removed and the result is lowercased.

    Raises:
        IdentifierError: code ``INVALID_HANDLE`` (field ``handle``) when the result breaks the
            platform's username rules.
    """
    platform = Platform.parse(platform)
    if not isinstance(raw, str):
        raise _invalid_handle(platform, raw)
    candidate = raw.strip()
    if candidate.startswith("@"):
        candidate = candidate[1:]
    return validate_handle(platform, candidate)


def validate_handle(platform: Platform, candidate: str) -> str:
    """Lowercase and validate a handle taken verbatim from a URL (no trimming, no ``@``)."""
    platform = Platform.parse(platform)
    # Reject non-ASCII before lowercasing: str.lower() maps e.g. the Kelvin sign to "k".
    if not candidate.isascii():
        raise _invalid_handle(platform, candidate)
    handle = candidate.lower()
    pattern = _PATTERNS[platform]
    if pattern.fullmatch(handle) is None:
        raise _invalid_handle(platform, candidate)
    return handle


def _invalid_handle(platform: Platform, raw: object) -> IdentifierError:
    rule = _RULES[platform]
    return IdentifierError(
        "INVALID_HANDLE",
        f"{quote_input(raw)} is not a valid {platform.label} handle ({rule}).",
        field="handle",
    )
