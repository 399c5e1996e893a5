"""The platforms whose public identifiers this package understands."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from app.identifiers.errors import IdentifierError, quote_input

__all__ = ["Platform"]


class Platform(StrEnum):
    """A supported social platform; the value is the GraphQL enum name."""

    INSTAGRAM = "INSTAGRAM"
    TIKTOK = "TIKTOK"

    @property
    def label(self) -> str:
        """The platform's own spelling, for human-readable messages."""
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str) -> Platform:
        """Parse a platform name in any letter case, e.g. ``"instagram"`` or ``"TikTok"``.

        Raises:
            IdentifierError: code ``UNKNOWN_PLATFORM`` for anything else.
        """
        # The ASCII check matters: Unicode case mapping folds lookalikes such as the dotless i
        # (U+0131) or the Kelvin sign (U+212A) onto ASCII letters.
        if isinstance(value, str) and value.isascii():
            key = value.strip().upper()
            if key in cls.__members__:
                return cls[key]
        raise IdentifierError(
            "UNKNOWN_PLATFORM",
            f"Unknown platform {quote_input(value)}; expected 'instagram' or 'tiktok'.",
            field="platform",
        )


_LABELS: Final = {Platform.INSTAGRAM: "Instagram", Platform.TIKTOK: "TikTok"}
