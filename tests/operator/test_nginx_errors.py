"""docker/nginx.conf in front of `creatoraudit serve`: nginx's own refusals are GraphQL JSON.

Runs the real nginx (skipped where it is not installed) with the file as shipped, only its
upstream, its port and its paths pointed at this test; the body timeout is shortened to 1 s.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Org
from tests.js.api_server import free_port, running_api_server

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/bin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def _config(api_port: int, port: int, run_dir: Path) -> Path:
    text = (ROOT / "docker" / "nginx.conf").read_text(encoding="utf-8")
    replacements = {
        "server api:8000;": f"server 127.0.0.1:{api_port};",
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "client_body_timeout 10s;": "client_body_timeout 1s;",
        "http {": f"http {{\n    access_log off;\n    client_body_temp_path {run_dir}/body;",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    config = run_dir / "nginx.conf"
    config.write_text(f"pid {run_dir}/nginx.pid;\nerror_log {run_dir}/error.log;\n{text}")
    return config


@pytest.fixture
def proxy(org: Org, database_url: str, tmp_path: Path) -> Iterator[str]:
    """The base URL of nginx in front of a `creatoraudit serve` process."""
    assert NGINX is not None
    with running_api_server(database_url, tmp_path) as server:
        port = free_port()
        config = _config(server.port, port, tmp_path)
        command = [NGINX, "-e", str(tmp_path / "error.log"), "-c", str(config)]
        process = subprocess.Popen([*command, "-g", "daemon off;"])
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    assert process.poll() is None, (tmp_path / "error.log").read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _refused(response: httpx.Response, status: int, reason: str, request_id: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    extensions = body["errors"][0]["extensions"]
    assert (extensions["code"], extensions["reason"]) == ("BAD_USER_INPUT", reason)
    assert response.headers["x-request-id"] == extensions["requestId"]
    # nginx's own id when the headers were never read (a request line over its buffer).
    assert extensions["requestId"] == request_id or (request_id is None and extensions["requestId"])


def _raw_get(proxy: str, target: str) -> httpx.Response:
    """GET `target` over a plain socket, reading the answer until nginx closes."""
    host, port = proxy.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [(name, value) for name, _, value in (h.partition(": ") for h in header_lines)]
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=body)


def test_nginx_refusals_are_graphql_json_with_the_request_id(proxy: str, org: Org) -> None:
    headers = {"X-Request-ID": "nginx-test"}
    with httpx.Client(base_url=proxy, headers=headers, timeout=30) as client:
        passed = client.post("/graphql", json={"query": "{ __typename }"})
        assert passed.status_code in (200, 401), passed.text  # the API answered, not nginx
        large = client.post("/graphql", content=b"{" + b" " * 200_000 + b"}")
        _refused(large, 413, "BODY_TOO_LARGE", "nginx-test")
    # Over nginx's 64 KB request line (the API's own 60,000-byte cap answers below it); sent
    # raw, since httpx refuses URLs that long itself.
    long = _raw_get(proxy, "/graphql?query=" + "a" * 70_000)
    _refused(long, 414, "QUERY_STRING_TOO_LONG", None)
    # A body that never comes: disconnected after client_body_timeout, no HTML page sent.
    host, port = proxy.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        raw.settimeout(10)
        started = time.monotonic()
        try:
            answer = raw.recv(65536)
        except ConnectionResetError:
            answer = b""
        assert answer == b"", answer
        assert time.monotonic() - started < 5
