"""A frontend page on its own origin, and headless Chromium (Debian's package) loading it."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_INSTALL_STEP = "apt-get update && apt-get install -y chromium"
# Response headers the page's script tries to read (the API lists them as exposed).
READ_HEADERS = ("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RESULT = re.compile(r'<pre id="result" data-state="done">(.*?)</pre>', re.DOTALL)
ATTEMPTS = 3
CHROMIUM_TIMEOUT = 60.0

PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8"><title>CreatorAudit CORS check</title><link rel="icon" href="data:,">
</head>
<body>
<pre id="result" data-state="pending">pending</pre>
<script>
const API = __API__;
const KEY = __KEY__;
const QUERY = __QUERY__;
const READ_HEADERS = __READ_HEADERS__;
(async () => {
  const out = document.getElementById("result");
  let result;
  try {
    const response = await fetch(API + "/graphql", {
      method: "POST",
      headers: { Authorization: "Bearer " + KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ query: QUERY }),
    });
    const headers = Object.fromEntries(READ_HEADERS.map((h) => [h, response.headers.get(h)]));
    result = { ok: true, status: response.status, headers, body: await response.json() };
  } catch (error) {
    result = { ok: false, error: String(error) };
  }
  out.textContent = JSON.stringify(result);
  out.dataset.state = "done";
})();
</script>
</body>
</html>
"""


@dataclass
class FrontendPage:
    """A page served from its own origin that calls the API with fetch."""

    api_base_url: str
    key: str
    query: str
    port: int = 0
    requests: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.origin}/frontend.html"

    def render(self) -> bytes:
        values = {
            "__API__": self.api_base_url,
            "__KEY__": self.key,
            "__QUERY__": self.query,
            "__READ_HEADERS__": list(READ_HEADERS),
        }
        text = PAGE
        for placeholder, value in values.items():
            text = text.replace(placeholder, json.dumps(value))
        return text.encode()


@contextmanager
def serving_page(api_base_url: str, key: str, query: str) -> Iterator[FrontendPage]:
    """Serve the page on a free port of 127.0.0.1 from a thread, for the block's duration."""
    page = FrontendPage(api_base_url, key, query)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page.requests.append(self.path)
            if self.path.split("?")[0] != "/frontend.html":
                self.send_error(404)
                return
            body = page.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    page.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield page
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# A quiet headless Chromium that reaches nothing but the pages it is given.
HEADLESS_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-sandbox",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str:
    """Debian's Chromium; the test fails (never skips) with the install step when it is absent."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            f"Chromium is not installed: run `{CHROMIUM_INSTALL_STEP}` (bash .ci/test does)"
        )
    return path


@dataclass
class PageResult:
    """What the page wrote into its DOM, and what Chromium's console said."""

    result: dict[str, Any]
    dom: str
    console: list[str]


def load_in_chromium(url: str, profile_dir: Path) -> PageResult:
    """Load `url` in headless Chromium and read the page's result from the dumped DOM.

    `--virtual-time-budget` lets the page's timers and fetches settle before the DOM is
    dumped (virtual time stands still while a fetch is in flight). Should a dump still come
    before the script finished (a slow machine), the load is repeated, up to ATTEMPTS times.
    """
    chromium = chromium_path()
    outputs = []
    for attempt in range(ATTEMPTS):
        completed = subprocess.run(
            [
                chromium,
                *HEADLESS_FLAGS,
                "--disable-quic",
                f"--user-data-dir={profile_dir / f'profile{attempt}'}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=30000",
                "--dump-dom",
                url,
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CHROMIUM_TIMEOUT,
            check=False,
        )
        console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
        match = RESULT.search(completed.stdout)
        if completed.returncode == 0 and match is not None:
            result: dict[str, Any] = json.loads(html.unescape(match.group(1)))
            return PageResult(result, completed.stdout, console)
        outputs.append(
            f"attempt {attempt + 1}: exit {completed.returncode}\n--- DOM\n{completed.stdout}\n"
            f"--- stderr\n{completed.stderr[-3000:]}"
        )
    pytest.fail("the page never reported a result:\n" + "\n".join(outputs))
