"""resolveUrl over HTTP: every URL form parses, hostile input is a clean BAD_USER_INPUT."""

from __future__ import annotations

import pytest

from tests.conftest import Org

RESOLVE = """
query($url: String!) {
  resolveUrl(url: $url) {
    platform kind canonicalUrl shortcode videoId handle publishedAt requiresResolution
  }
}
"""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.instagram.com/p/CJBsZ11MYha/?igsh=abc&utm_source=ig",
            {
                "platform": "INSTAGRAM",
                "kind": "POST",
                "canonicalUrl": "https://www.instagram.com/p/CJBsZ11MYha/",
                "shortcode": "CJBsZ11MYha",
                "videoId": "2468449360609904730",
                "handle": None,
                "publishedAt": "2020-12-20T16:35:16.291000+00:00",
                "requiresResolution": False,
            },
        ),
        (
            "https://m.tiktok.com/@nora.bakes/video/7106798200794926362?lang=en",
            {
                "platform": "TIKTOK",
                "kind": "POST",
                "canonicalUrl": "https://www.tiktok.com/@nora.bakes/video/7106798200794926362",
                "shortcode": None,
                "videoId": "7106798200794926362",
                "handle": "nora.bakes",
                "publishedAt": "2022-06-08T09:26:39+00:00",
                "requiresResolution": False,
            },
        ),
        (
            "tiktok.com/@Trail.Twins/",
            {
                "platform": "TIKTOK",
                "kind": "PROFILE",
                "canonicalUrl": "https://www.tiktok.com/@trail.twins",
                "shortcode": None,
                "videoId": None,
                "handle": "trail.twins",
                "publishedAt": None,
                "requiresResolution": False,
            },
        ),
        (
            "https://vm.tiktok.com/ZTR45GpSF/",
            {
                "platform": "TIKTOK",
                "kind": "SHORT_LINK",
                "canonicalUrl": "https://vm.tiktok.com/ZTR45GpSF/",
                "shortcode": None,
                "videoId": None,
                "handle": None,
                "publishedAt": None,
                "requiresResolution": True,
            },
        ),
    ],
)
async def test_resolve_url_returns_the_identifiers(
    org: Org, url: str, expected: dict[str, object]
) -> None:
    result = await org.gql(RESOLVE, {"url": url})
    assert result.data["resolveUrl"] == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "INVALID_URL"),
        ("https://instagram.com.evil.com/p/CJBsZ11MYha/", "INVALID_URL"),
        ("https://www.tiktok.com@evil.com/@x/video/1", "INVALID_URL"),
        ("https://www.instagram.com/p/CJBs\u0000Z11/", "NUL_CHARACTER"),
        ("https://www.tiktok.com/@x/video/" + "9" * 40, "INVALID_VIDEO_ID"),
        ("https://www.instagram.com/stories/nora/123/", "UNSUPPORTED_URL"),
        ("x" * 5000, "TOO_LONG"),
        ("", "INVALID_URL"),
    ],
)
async def test_hostile_urls_are_bad_user_input_naming_url(org: Org, url: str, reason: str) -> None:
    result = await org.gql(RESOLVE, {"url": url})
    assert result.status == 200
    assert result.codes == ["BAD_USER_INPUT"]
    extensions = result.errors[0]["extensions"]
    assert (extensions["field"], extensions["reason"]) == ("url", reason)
    # Refused before it ran (no data) when the bound on every argument refuses it.
    assert result.body.get("data") is None


async def test_nodes_refuses_more_than_200_ids(org: Org) -> None:
    result = await org.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x"] * 201})
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "ids"
