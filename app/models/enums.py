"""Enumerations stored in the database."""

from enum import IntEnum, StrEnum

from app.identifiers import Platform


class Scope(IntEnum):
    """API key scopes; each level includes the ones below it (ADMIN ⊃ WRITE ⊃ READ)."""

    READ = 1
    WRITE = 2
    ADMIN = 3


class Availability(StrEnum):
    """What the last refresh learned about an upstream profile or post."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    PRIVATE = "PRIVATE"
    NOT_FOUND = "NOT_FOUND"
    RESTRICTED = "RESTRICTED"
    ERROR = "ERROR"


__all__ = ["Availability", "Platform", "Scope"]
