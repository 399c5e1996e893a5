"""Descriptions of enum values whose Python enums live outside the GraphQL layer."""

from __future__ import annotations

import strawberry

ENUM_VALUE_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Platform": {
        "INSTAGRAM": "Instagram (Graph API Business Discovery).",
        "TIKTOK": "TikTok (Research API).",
    },
    "Availability": {
        "PENDING": "Never refreshed yet.",
        "ACTIVE": "The last refresh read the profile or post.",
        "PRIVATE": "The profile is private: nothing is collected.",
        "NOT_FOUND": "The profile or post does not exist (any more).",
        "RESTRICTED": "The platform refuses to show it (age-gated, region- or policy-restricted).",
        "ERROR": "The last refresh failed; see lastError.",
    },
    "ApiKeyScope": {
        "READ": "Run queries.",
        "WRITE": "Run queries and mutations that change tracked data.",
        "ADMIN": "Everything, including creating and revoking API keys.",
    },
    "UrlKind": {
        "POST": "A post, reel or video.",
        "PROFILE": "A profile page.",
        "SHORT_LINK": "A short link (vm.tiktok.com, instagram.com/share/…) to be resolved first.",
    },
}


def describe_enum_values(schema: strawberry.Schema) -> None:
    """Attach the descriptions above to the built schema's enum values."""
    type_map = schema._schema.type_map
    for type_name, values in ENUM_VALUE_DESCRIPTIONS.items():
        enum_type = type_map[type_name]
        for value_name, description in values.items():
            enum_type.values[value_name].description = description  # type: ignore[attr-defined]
