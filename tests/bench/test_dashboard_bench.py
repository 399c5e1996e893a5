"""`creatoraudit benchmark` runs end to end at a tiny size; its floor answers as the API does."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from app.bench.dashboard_check import differences, same_answer
from app.bench.dashboard_report import DashboardBenchOptions, DashboardBenchReport, Phase
from app.db_admin import scratch_database
from tests.conftest import ENGINE, PG_ADMIN_URL

RATIOS = {
    "dashboard API / floor, server CPU per request, 1 conn",
    "dashboard API / floor, requests/s, 1 conn",
    "dashboard API / floor, p50 latency, 1 conn",
    "dashboard API / floor, p99 latency, 1 conn",
    "dashboard API / floor, server CPU per request, 2 conn",
    "dashboard API / floor, requests/s, 2 conn",
    "dashboard API / floor, p50 latency, 2 conn",
    "dashboard API / floor, p99 latency, 2 conn",
    "org metrics 366 d / D7, server CPU per request",
    "org series 366 d / D7, server CPU per request",
    "dashboard x0.02 / x0.01, server CPU per request",
    "org metrics D90 x0.02 / x0.01, server CPU per request",
    "org series D90 x0.02 / x0.01, server CPU per request",
}


@pytest.mark.skipif(
    ENGINE != "postgres", reason="the benchmark dataset is PostgreSQL-only (postgres session)"
)
async def test_the_command_compares_the_answers_then_measures_both_servers() -> None:
    # given: a database of its own, dropped afterwards
    async with scratch_database(PG_ADMIN_URL, "creatoraudit_tdbench") as url:
        # when: the command as users run it, at a tiny size
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "benchmark",
            "--scale=0.01",
            "--compare-scale=0.02",
            "--rounds=2",
            "--requests=10",
            "--connections=1,2",
            f"--database-url={url}",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 400)

    # then: exit 0, identical answers checked before timing, every phase and ratio reported
    stdout = out.decode()
    output = f"exit {process.returncode}\n{stdout}\n{err.decode()}"
    assert process.returncode == 0, output
    assert "the floor's answer is the API's, byte for byte" in stdout
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["benchmark"] == "dashboard"
    assert report["ok"] is True, output
    assert report["answers_identical"] is True
    assert report["answer_bytes"] > 10_000
    # The key, the page, the points, the first-known dates and the daily rows (the coverage's
    # observed days come from the daily rows: the series asks for the metrics' window).
    assert report["statements_per_dashboard"] == 5
    assert report["errors"] == 0
    assert set(report["ratios"]) == RATIOS
    for name, spread in report["ratios"].items():
        # A round whose denominator used less than one clock tick of CPU (tiny data) has none.
        expected = 2 if "CPU" not in name else len(spread["rounds"])
        assert len(spread["rounds"]) == expected <= 2, name
        if spread["rounds"]:
            assert spread["min"] <= spread["median"] <= spread["max"], name
    servers = {(p["server"], p["measurement"], p["connections"]) for p in report["phases"]}
    assert ("floor", "dashboard", 2) in servers
    assert ("api", "org series 366 d", 1) in servers
    # Dashboard phases: --requests; organization phases: 5 × as many, the D7 and 366 d ones
    # in three alternating sub-phases of 50 // 3 requests each.
    for p in report["phases"]:
        if p["measurement"] == "dashboard":
            assert p["requests"] == 10, p
        else:
            assert p["requests"] == (50 if p["measurement"].endswith("D90") else 48), p
    assert "database_url" not in report["options"]


def test_answers_compare_byte_for_byte_without_the_api_extensions() -> None:
    floor = b'{"data":{"accounts":{"nodes":[{"id":"QQ","views":1.5}]}}}'
    api = floor[:-1] + b',"extensions":{"cost":3}}'

    assert same_answer(api, floor)
    assert same_answer(floor, floor)
    assert not same_answer(api.replace(b"1.5", b"1.50"), floor)
    assert differences(api.replace(b"1.5", b"2"), floor) == [
        "$.data.accounts.nodes[0].views: 2 ≠ 1.5"
    ]
    reordered = b'{"data":{"accounts":{"nodes":[{"views":1.5,"id":"QQ"}]}}}'
    assert not same_answer(reordered, floor)
    assert differences(reordered, floor)[0].startswith("$.data.accounts.nodes[0]: fields")


def test_ratios_are_taken_round_by_round() -> None:
    def phase(round_: int, server: str, cpu: float) -> Phase:
        return Phase(round_, server, "dashboard", 1, 1, 10, 1.0, 10.0, 5.0, 9.0, cpu, 1.0)

    report = DashboardBenchReport(
        options=DashboardBenchOptions(rounds=3, connections=(1,)),
        date="2026-01-01",
        datasets={},
        answer_bytes=1,
        statements_per_dashboard=6,
        phases=[
            phase(0, "api", 60.0),
            phase(0, "floor", 10.0),
            phase(1, "floor", 20.0),
            phase(1, "api", 60.0),
            phase(2, "api", 40.0),
            phase(2, "floor", 10.0),
        ],
        load_average=[],
    )

    spread = report.ratios()["dashboard API / floor, server CPU per request, 1 conn"]
    assert spread.as_dict() == {"rounds": [6.0, 3.0, 4.0], "min": 3.0, "median": 4.0, "max": 6.0}
