"""Parsing and normalisation of Instagram and TikTok URLs, handles, shortcodes and ids."""

from app.identifiers.errors import ERROR_CODES, IdentifierError
from app.identifiers.handles import normalize_handle
from app.identifiers.platforms import Platform
from app.identifiers.shortcodes import (
    instagram_pk_time,
    parse_media_id,
    pk_to_shortcode,
    shortcode_to_pk,
    tiktok_id_time,
)
from app.identifiers.urls import (
    ParsedUrl,
    UrlKind,
    VideoRef,
    parse_profile_ref,
    parse_url,
    parse_video_ref,
)

__all__ = [
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
]
