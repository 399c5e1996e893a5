"""Headless Chromium driven over the DevTools protocol: click, type, read, and see every request.

Debian's Chromium (as in browser.py), started with `--remote-debugging-port=0`; the protocol is
spoken over aiohttp's WebSocket client, so no browser-automation package is needed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp

from tests.js.browser import HEADLESS_FLAGS, chromium_path

STARTUP_SECONDS = 30.0
WAIT_SECONDS = 30.0
CHROMIUM_FLAGS = (
    *HEADLESS_FLAGS,
    "--window-size=1400,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class Page:
    """One browser tab: protocol commands, and what the tab asked the network for."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.requests: list[str] = []
        self.console: list[str] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(f"{data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
            elif data.get("method") == "Network.requestWillBeSent":
                self.requests.append(data["params"]["request"]["url"])
            elif data.get("method") == "Runtime.consoleAPICalled":
                args = data["params"]["args"]
                self.console.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in args)
                )
            elif data.get("method") == "Runtime.exceptionThrown":
                self.console.append(json.dumps(data["params"]["exceptionDetails"])[:500])

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one protocol command and return its result."""
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self.socket.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        return await asyncio.wait_for(future, WAIT_SECONDS)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def _evaluate_or_none(self, expression: str) -> Any:
        try:
            return await self.evaluate(expression)
        except RuntimeError:  # the page is still loading: the element is not there yet
            return None

    async def wait_for(self, expression: str) -> Any:
        """Poll until the expression is truthy (a page draws asynchronously)."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while not (value := await self._evaluate_or_none(expression)):
            if asyncio.get_running_loop().time() > deadline:
                text = await self.evaluate("document.body.innerText")
                raise AssertionError(f"never true: {expression}\npage:\n{text}\n{self.console}")
            await asyncio.sleep(0.1)
        return value

    async def click(self, element: str) -> None:
        """A real mouse click in the middle of the element `element` (a JS expression) gives."""
        box = await self.wait_for(
            f"(() => {{ const e = {element}; if (!e) return null; e.scrollIntoView();"
            " const r = e.getBoundingClientRect();"
            " return r.width ? {x: r.x + r.width / 2, y: r.y + r.height / 2} : null; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    async def type(self, text: str) -> None:
        """Type into the focused element, as a paste would."""
        await self.send("Input.insertText", text=text)

    async def navigate(self, url: str) -> None:
        """Load `url` and wait until the new document has loaded (not the old one)."""
        await self.evaluate("window.__leaving = true")
        await self.send("Page.navigate", url=url)
        await self.wait_for("!window.__leaving && document.readyState === 'complete'")

    async def close(self) -> None:
        self._reader.cancel()
        with suppress(asyncio.CancelledError):
            await self._reader
        await self.socket.close()


async def _debugging_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    while not marker.exists() or not marker.read_text().strip():
        assert process.poll() is None, "Chromium exited at start"
        assert asyncio.get_running_loop().time() < deadline, "Chromium opened no DevTools port"
        await asyncio.sleep(0.1)
    return int(marker.read_text().splitlines()[0])


def _start_chromium(profile: Path, log: Path) -> subprocess.Popen[bytes]:
    profile.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as log_file:
        return subprocess.Popen(
            [
                chromium_path(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


@asynccontextmanager
async def chromium_page(profile: Path, log: Path) -> AsyncIterator[Page]:
    """A headless Chromium tab on about:blank with Network, Page and Runtime events on."""
    process = _start_chromium(profile, log)
    try:
        port = await _debugging_port(profile, process)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            target = next(t for t in targets if t["type"] == "page")
            socket = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
            page = Page(socket)
            try:
                for domain in ("Network", "Page", "Runtime"):
                    await page.send(f"{domain}.enable")
                yield page
            finally:
                await page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
