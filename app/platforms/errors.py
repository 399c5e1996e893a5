"""Upstream failures, converted at one choke point per client.

PlatformError                    any failure talking to a platform
├── ProfileNotFound              the profile or post does not exist (any more)
├── ProfilePrivate               the profile exists but is private / not a business account
├── ProfileRestricted            age-gated, region- or policy-restricted
├── RateLimited                  throttled; `retry_after` seconds until a retry makes sense
│                                (None: the platform did not say, so back off progressively)
├── AuthExpired                  our credentials were refused; re-authorise
├── AuthorUnknown                a post that can only be read through its author's feed, whose
│                                author is unknown
└── UpstreamError                anything else; `transient` says whether a retry may help
"""

from __future__ import annotations

from app.identifiers import Platform


class PlatformError(Exception):
    """A failure talking to a platform."""

    def __init__(self, platform: Platform, message: str) -> None:
        super().__init__(f"{platform.value}: {message}")
        self.platform = platform
        self.message = message


class ProfileNotFound(PlatformError):
    """The profile or post does not exist (or no longer exists)."""


class ProfilePrivate(PlatformError):
    """The profile is private (or, on Instagram, not a business/creator account)."""


class ProfileRestricted(PlatformError):
    """The platform refuses to show it: age-gated, region- or policy-restricted."""


class RateLimited(PlatformError):
    """Throttled by the platform: wait `retry_after` seconds (None: unknown) before retrying."""

    def __init__(self, platform: Platform, message: str, retry_after: float | None) -> None:
        super().__init__(platform, message)
        self.retry_after = retry_after


class AuthExpired(PlatformError):
    """Our token or app credentials were refused."""


class UpstreamError(PlatformError):
    """Any other failure; `transient` is True when retrying may succeed (5xx, timeouts)."""

    def __init__(self, platform: Platform, message: str, *, transient: bool) -> None:
        super().__init__(platform, message)
        self.transient = transient


class AuthorUnknown(PlatformError):
    """An Instagram post cannot be fetched without its author's handle."""
