"""A browser frontend on another origin calls the API: allowed when configured, refused if not."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import Org
from tests.js.api_server import ApiServer
from tests.js.browser import load_in_chromium, serving_page
from tests.js.conftest import ServeApi

QUERY = "{ viewer { organization { name } } }"
EXPOSED = ("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
OTHER_ORIGIN = "http://127.0.0.1:1"


def cors_settings(*origins: str) -> dict[str, str]:
    return {"CREATORAUDIT_CORS_ALLOW_ORIGINS": json.dumps(list(origins))}


def header_list(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def graphql_posts(server: ApiServer) -> list[tuple[str, str, int]]:
    return [r for r in server.requests_logged() if r[:2] == ("POST", "/graphql")]


def test_allowed_origin_gets_the_data_in_chromium(
    serve_api: ServeApi, org: Org, read_key: str, tmp_path: Path
) -> None:
    with serving_page("", read_key, QUERY) as page:
        server = serve_api(cors_settings(page.origin))
        page.api_base_url = server.base_url

        loaded = load_in_chromium(page.url, tmp_path)

        # What the server sends to a request from that origin, seen without a browser.
        direct = httpx.post(
            server.graphql_url,
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {read_key}", "Origin": page.origin},
        )
    result = loaded.result
    assert result["ok"] is True, (result, loaded.console)
    assert result["status"] == 200
    assert result["body"]["data"] == {"viewer": {"organization": {"name": org.organization.name}}}
    # The script can read every exposed header the server sent.
    assert result["headers"]["X-Request-ID"], result
    for name in EXPOSED:
        if name in direct.headers:
            assert result["headers"][name] is not None, (name, result)
    assert page.requests == ["/frontend.html"]
    assert ("OPTIONS", "/graphql", 200) in server.requests_logged()
    assert len(graphql_posts(server)) == 2  # the browser's and the direct one
    assert not server.problems_logged(), server.log()


@pytest.mark.parametrize(
    "configured",
    [pytest.param([], id="no-cors-configured"), pytest.param([OTHER_ORIGIN], id="other-origin")],
)
def test_unlisted_origin_is_refused_by_chromium(
    serve_api: ServeApi, read_key: str, tmp_path: Path, configured: list[str]
) -> None:
    with serving_page("", read_key, QUERY) as page:
        server = serve_api(cors_settings(*configured))
        page.api_base_url = server.base_url

        loaded = load_in_chromium(page.url, tmp_path)

    assert loaded.result == {"ok": False, "error": "TypeError: Failed to fetch"}, loaded.result
    assert any("has been blocked by CORS policy" in line for line in loaded.console), loaded.console
    # The browser stopped at the preflight: the query itself never reached the API.
    preflights = [r for r in server.requests_logged() if r[:2] == ("OPTIONS", "/graphql")]
    assert len(preflights) == 1, server.requests_logged()
    assert preflights[0][2] != 200
    assert graphql_posts(server) == []
    assert not server.problems_logged(), server.log()


PAGE_ORIGIN = "http://127.0.0.1:5173"
PREFLIGHT_HEADERS = "authorization, content-type"


def preflight(server: ApiServer, origin: str, headers: str = PREFLIGHT_HEADERS) -> httpx.Response:
    return httpx.options(
        server.graphql_url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_preflight_grants_the_configured_origin_only(serve_api: ServeApi, read_key: str) -> None:
    server = serve_api(cors_settings(PAGE_ORIGIN))

    allowed = preflight(server, PAGE_ORIGIN)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert {"get", "post"} <= header_list(allowed.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type"} <= header_list(
        allowed.headers["Access-Control-Allow-Headers"]
    )
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in allowed.headers  # bearer keys, no cookies
    assert "origin" in header_list(allowed.headers["Vary"])
    assert allowed.headers["X-Request-ID"]

    # What Apollo Client and persisted-query GETs add to a request.
    apollo = preflight(
        server,
        PAGE_ORIGIN,
        "authorization, content-type, apollographql-client-name, apollographql-client-version, "
        "apollo-require-preflight, x-apollo-operation-name, if-none-match, x-request-id",
    )
    assert apollo.status_code == 200, apollo.text

    for refused, status, code in [
        (preflight(server, "http://127.0.0.1:5174"), 403, "FORBIDDEN"),
        (preflight(server, "https://evil.example"), 403, "FORBIDDEN"),
        (preflight(server, PAGE_ORIGIN, "authorization, x-unknown"), 400, "BAD_USER_INPUT"),
    ]:
        assert refused.status_code == status, refused.text
        assert not [h for h in refused.headers if h.lower().startswith("access-control-")], (
            refused.headers
        )
        assert refused.headers["X-Request-ID"]
        assert [e["extensions"]["code"] for e in refused.json()["errors"]] == [code]

    # The response itself: readable by the allowed origin, its headers exposed.
    response = httpx.post(
        server.graphql_url,
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {read_key}", "Origin": PAGE_ORIGIN},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    exposed = header_list(response.headers["Access-Control-Expose-Headers"])
    assert {name.lower() for name in EXPOSED} <= exposed
    # Another origin's request runs (a server cannot tell a browser from a script) but grants
    # it nothing: its browser refuses to show the page the response.
    other = httpx.post(
        server.graphql_url,
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {read_key}", "Origin": "http://127.0.0.1:5174"},
    )
    assert not [h for h in other.headers if h.lower().startswith("access-control-")]
    assert "origin" in header_list(other.headers["Vary"])
    assert not server.problems_logged(), server.log()
