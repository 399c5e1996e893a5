"""The single exception raised for malformed Instagram and TikTok identifiers."""

from __future__ import annotations

from typing import Final

__all__ = ["ERROR_CODES", "IdentifierError", "quote_input"]

# Part of the public contract: the GraphQL layer copies these into `userErrors.code`.
ERROR_CODES: Final[frozenset[str]] = frozenset(
    {
        "INVALID_HANDLE",
        "INVALID_INPUT",
        "INVALID_SHORTCODE",
        "INVALID_URL",
        "INVALID_VIDEO_ID",
        "NOT_A_PROFILE_URL",
        "NOT_A_VIDEO_URL",
        "UNKNOWN_PLATFORM",
        "UNSUPPORTED_URL",
    }
)


class IdentifierError(ValueError):
    """Raised for any input that is not a valid identifier.

    It carries a machine `code` (one of `ERROR_CODES`), a human `message`, and the `field`: the
    input argument at fault (``"url"``, ``"handle"``, ``"platform"``...) or None.
    """

    code: str
    message: str
    field: str | None

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __reduce__(self) -> tuple[type[IdentifierError], tuple[str, str, str | None]]:
        # The default reduce replays only `args` (the message), which would break unpickling
        # when the error crosses a process boundary (worker → API).
        return (type(self), (self.code, self.message, self.field))

    def __repr__(self) -> str:
        return (
            f"IdentifierError(code={self.code!r}, message={self.message!r}, field={self.field!r})"
        )


def quote_input(value: object, limit: int = 40) -> str:
    """Return a short repr of untrusted input for use inside an error message."""
    # Messages echo user input; capping it keeps a 2 KB hostile URL out of logs and payloads.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
