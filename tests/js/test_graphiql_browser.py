"""GraphiQL's first visit in headless Chromium, as a new user: key, docs, dashboard, offline."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from app.importer import import_file
from tests.conftest import Org
from tests.js.cdp import Page, chromium_page
from tests.js.conftest import ServeApi

KEY_FORM_SHOWN = "!document.getElementById('api-key-form').hidden"
DOCS_BUTTON = (
    "[...document.querySelectorAll('.graphiql-sidebar button')]"
    ".find((b) => (b.getAttribute('aria-label') || '').includes('Documentation Explorer'))"
)
DOCS = "document.querySelector('.graphiql-doc-explorer')"
RUN = "document.querySelector('.graphiql-execute-button')"
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "example.csv"
RESPONSE = "(document.querySelector('.graphiql-response') || {innerText: ''}).innerText"


async def enter_key(page: Page, key: str) -> None:
    await page.click("document.getElementById('api-key')")
    await page.type(key)
    await page.click("document.getElementById('api-key-submit')")


def hosts(urls: list[str]) -> set[str | None]:
    return {urlsplit(url).hostname for url in urls if urlsplit(url).scheme not in ("data", "blob")}


async def test_first_visit_asks_for_the_key_then_docs_and_dashboard_work(
    serve_api: ServeApi, org: Org, read_key: str, tmp_path: Path
) -> None:
    # Data to see: the example import (a TikTok account with 5 days of history, its video).
    assert (await import_file(org.id, EXAMPLE)).exit_code == 0
    server = serve_api({})
    name = org.organization.name
    async with chromium_page(tmp_path / "profile", tmp_path / "chromium.log") as page:
        # A new user opens /graphql: the page asks for a key before GraphiQL draws.
        await page.navigate(server.graphql_url)
        await page.wait_for(KEY_FORM_SHOWN)
        assert await page.evaluate("document.getElementById('graphiql').hidden") is True

        # A wrong key is refused on the form, with the server's reason.
        await enter_key(page, "ca_not-a-real-key-000000000000000")
        refused = await page.wait_for("document.getElementById('api-key-error').innerText")
        assert "That key was refused: Invalid or revoked API key" in refused

        # The real key: GraphiQL opens with the organization named, the schema loaded.
        await page.click("document.getElementById('api-key')")
        await page.evaluate("document.getElementById('api-key').value = ''")
        await enter_key(page, read_key)
        await page.wait_for(
            f"document.getElementById('api-key-who').innerText.includes({json.dumps(name)})"
        )
        await page.click(DOCS_BUTTON)
        await page.wait_for(f"{DOCS} && {DOCS}.innerText.includes('Query')")
        await page.click(f"[...{DOCS}.querySelectorAll('a')].find((a) => a.innerText === 'Query')")
        await page.wait_for(f"{DOCS}.innerText.includes('accounts')")

        # Run the dashboard query (the default document): the organization's data appears.
        await page.click(RUN)
        answer = await page.wait_for(f"{RESPONSE}.includes({json.dumps(name)}) && {RESPONSE}")
        assert "errors" not in answer
        assert '"totalCount": 1' in answer
        assert '"handle": "norabakes"' in answer
        assert '"followers": 124100' in answer  # its latest imported count
        assert "7702928068044340301" in answer  # its video (further lines are not drawn)
        body = await page.evaluate("document.body.innerText")
        assert "Error fetching schema" not in body

        # Next visit: the key is remembered, no form.
        await page.navigate(server.graphql_url)
        await page.wait_for(
            f"document.getElementById('api-key-who').innerText.includes({json.dumps(name)})"
        )
        assert await page.evaluate("document.getElementById('api-key-form').hidden") is True
        await page.wait_for(f"!!{RUN}")

    assert hosts(page.requests) == {"127.0.0.1"}, page.requests
    assert any(url.endswith("/graphiql-static/graphiql/graphiql.min.js") for url in page.requests)
    assert not server.problems_logged(), server.log()
