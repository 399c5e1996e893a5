"""The offline GraphiQL page references only vendored assets, and they are served."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from app.graphql.graphiql import STATIC_DIR, STATIC_MOUNT, render_graphiql_page


class _Collector(HTMLParser):
    """Collects every src/href attribute, plus the inline scripts' text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def _asset_paths(page: str, prefix: str = STATIC_MOUNT) -> list[str]:
    """Paths below ``prefix`` of the assets the page references."""
    paths = []
    for _tag, url in _parse(page).urls:
        assert url.startswith(prefix + "/"), url
        paths.append(url.removeprefix(prefix + "/"))
    return paths


def test_page_references_only_local_assets() -> None:
    page = render_graphiql_page()
    collector = _parse(page)
    tags = sorted(tag for tag, _ in collector.urls)
    assert tags == ["link", "script", "script", "script"]
    for _tag, url in collector.urls:
        assert url.startswith(STATIC_MOUNT + "/"), url
        assert ".." not in url
    # No absolute URL anywhere in the markup or the inline script.
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page)


@pytest.mark.parametrize("prefix", ["/static/gql", "/static/gql/"])
def test_custom_prefix_and_endpoint(prefix: str) -> None:
    page = render_graphiql_page(endpoint="/api/graphql", static_prefix=prefix)
    paths = _asset_paths(page, "/static/gql")
    assert "graphiql/graphiql.min.js" in paths
    config = json.loads(_parse(page).scripts[0])
    assert config["endpoint"] == "/api/graphql"


def test_config_defaults() -> None:
    collector = _parse(render_graphiql_page())
    config = json.loads(collector.scripts[0])
    assert config["endpoint"] == "/graphql"
    assert "defaultHeaders" not in config  # the key comes from the key form, not a placeholder
    query = config["defaultQuery"]
    for field in ("query Dashboard", "viewer", "organization", "apiKey", "accounts", "videos"):
        assert field in query
    script = collector.scripts[-1]
    assert "shouldPersistHeaders: true" in script
    assert "localStorage.getItem(STORE)" in script


def test_graphiql_waits_for_a_key() -> None:
    page = render_graphiql_page()
    assert '<div id="graphiql" hidden>' in page
    assert '<input id="api-key" name="api-key" type="password"' in page


def test_every_referenced_asset_exists() -> None:
    paths = _asset_paths(render_graphiql_page())
    assert paths
    for path in paths:
        file = (STATIC_DIR / path).resolve()
        assert file.is_relative_to(STATIC_DIR)
        assert file.is_file(), path
        assert file.stat().st_size > 1000, path
        # Each vendored package keeps its licence next to its files.
        assert (file.parent / "LICENSE").is_file(), path
    assert (STATIC_DIR / "VERSIONS.txt").is_file()


def test_interpolated_values_are_escaped() -> None:
    evil = '"></script><script>alert(1)</script>&'
    page = render_graphiql_page(endpoint=evil, title=evil, static_prefix='/s"x')
    assert "<script>alert(1)" not in page
    assert 'href="/s&quot;x/' in page
    assert "<title>&quot;&gt;&lt;/script&gt;" in page
    collector = _parse(page)
    # The endpoint survives intact through the JSON config...
    assert json.loads(collector.scripts[0])["endpoint"] == evil
    # ...and the page still has exactly its two inline scripts after the asset tags.
    assert len(collector.scripts) == 2


async def test_assets_are_served_by_static_files() -> None:
    app = Starlette(routes=[Mount(STATIC_MOUNT, StaticFiles(directory=STATIC_DIR))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _tag, url in _parse(render_graphiql_page()).urls:
            response = await client.get(url)
            assert response.status_code == 200, url
            content_type = response.headers["content-type"]
            if url.endswith(".css"):
                assert content_type.startswith("text/css"), (url, content_type)
            else:
                assert url.endswith(".js")
                assert "javascript" in content_type, (url, content_type)
            file = STATIC_DIR / url.removeprefix(STATIC_MOUNT + "/")
            assert response.content == file.read_bytes(), url
        missing = await client.get(STATIC_MOUNT + "/nope.js")
        assert missing.status_code == 404
