"""Label values stay bounded: operation names, error codes, platforms, outcomes, clients."""

from __future__ import annotations

from ipaddress import ip_network

import orjson
from yarl import URL

from app.observability.http_metrics import OperationNames, error_codes
from app.observability.server import allowed
from app.observability.upstream import PlatformOfUrl
from app.worker.runner import job_outcome


def test_operation_names_are_capped_per_process() -> None:
    names = OperationNames(limit=2)
    labels = [names.label(n) for n in ("A", "B", "C", "A", "")]
    assert labels == ["A", "B", "other", "A", "anonymous"]
    assert names.label(None) == "unknown"
    assert OperationNames(limit=5).label("x" * 101) == "other"


def test_error_codes_come_from_the_vocabulary() -> None:
    body = orjson.dumps(
        {
            "errors": [
                {"message": "a", "extensions": {"code": "NOT_FOUND"}},
                {"message": "b", "extensions": {"code": "MADE_UP"}},
                {"message": "c", "extensions": {"code": {"nested": 1}}},
                {"message": "d"},
            ],
            "data": None,
        }
    )
    assert error_codes(body) == ["NOT_FOUND", "OTHER", "OTHER", "NONE"]
    assert error_codes(b'{"errors": not json') == []


def test_upstream_urls_map_to_their_platform() -> None:
    platform_of = PlatformOfUrl(
        {"http://127.0.0.1:9000/instagram": "INSTAGRAM", "http://127.0.0.1:9000/tiktok/": "TIKTOK"}
    )
    assert platform_of(URL("http://127.0.0.1:9000/instagram/v25.0/17841?fields=x")) == "INSTAGRAM"
    assert platform_of(URL("http://127.0.0.1:9000/tiktok/v2/oauth/token/")) == "TIKTOK"
    assert platform_of(URL("http://127.0.0.1:9000/instagramx/v25.0")) == "other"


def test_job_outcomes() -> None:
    assert job_outcome("not due") == "skipped"
    assert job_outcome("error") == "error"
    assert job_outcome("ACTIVE") == "success"
    assert job_outcome(3) == "success"


def test_only_allowed_networks_may_scrape() -> None:
    loopback = [ip_network("127.0.0.0/8"), ip_network("::1/128")]
    assert allowed("127.0.0.1", loopback)
    assert allowed("::1", loopback)
    assert allowed("::ffff:127.0.0.1", loopback)
    assert not allowed("10.1.2.3", loopback)
    assert not allowed(None, loopback)
    assert not allowed("not-an-address", loopback)
