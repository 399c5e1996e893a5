"""The load benchmark command runs end to end at a tiny size, and its arithmetic holds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.bench.load import blocks
from app.bench.load_check import data_bytes
from app.bench.load_report import LoadBenchOptions, LoadBenchReport, PhaseResult
from tests.conftest import ENGINE, PG_ADMIN_URL

KINDS = {"dashboard", "search", "accountMetrics", "videoMetrics", "videoDeltas"}


@pytest.mark.skipif(
    ENGINE != "postgres", reason="the benchmark dataset is PostgreSQL-only (postgres session)"
)
def test_the_command_loads_two_servers_without_errors() -> None:
    # given / when: the command as users run it, at a tiny size
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "benchmark-load",
            "--duration=2",
            "--clients=4",
            "--scale=0.02",
            f"--database-url={PG_ADMIN_URL}",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    # then: exit 0, a table, one JSON line of the expected shape, no errors
    output = f"exit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    assert completed.returncode == 0, output
    assert "persisted, limiter on" in completed.stdout
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["benchmark"] == "load"
    assert report["ok"] is True
    assert report["errors"] == 0
    assert report["answer_mismatches"] == []
    assert report["answers_checked"] == 20  # 10 requests of the mix, on each server pair
    assert report["apq_registered_by_check"] == 5  # the 5 documents, once
    assert set(report["documents"]) == set(report["costs"]) == KINDS
    assert "database_url" not in report["options"]
    phases = report["phases"]
    assert sorted((p["mode"], p["limiter"]) for p in phases) == [
        ("persisted", False),
        ("persisted", True),
        ("plain", False),
        ("plain", True),
    ]
    for phase in phases:
        assert phase["errors"] == {}, phase
        assert phase["requests"] > 0, phase
        assert phase["throughput"] > 0, phase
        assert phase["p50_ms"] <= phase["p99_ms"], phase
        assert phase["server_cpu_ms_per_request"] > 0, phase
        assert phase["throttled_requests"] > 0, phase
        assert set(phase["per_kind"]) <= KINDS, phase
        # the throttled key is refused only while the limiter is on
        assert (phase["deliberate_429"] > 0) is phase["limiter"], phase
    assert set(report["ratios"]) >= {
        "persisted / plain, CPU per request",
        "limiter on / off, CPU per request",
        "limiter on − off, server CPU ms per request",
    }
    assert report["ratios"]["persisted / plain, CPU per request"]["n"] == 2


def test_blocks_alternate_the_order_and_share_servers_across_rounds() -> None:
    assert list(blocks(2)) == [
        (0, True, ("persisted", "plain")),
        (0, False, ("plain", "persisted")),
        (1, False, ("plain", "persisted")),
        (1, True, ("persisted", "plain")),
    ]


def _phase(round_: int, mode: str, limiter: bool, cpu: float) -> PhaseResult:
    return PhaseResult(
        round=round_,
        mode=mode,
        limiter=limiter,
        requests=100,
        seconds=1.0,
        throughput=100.0,
        p50_ms=10.0,
        p99_ms=20.0,
        server_cpu_ms_per_request=cpu,
        server_cores_busy=1.0,
        database_cpu_ms_per_request=1.0,
        database_cores_busy=0.1,
        redis_cpu_ms_per_request=0.1,
        redis_cores_busy=0.01,
        client_cores_busy=0.5,
        machine_cores_busy=2.0,
        errors={},
        deliberate_429=1 if limiter else 0,
        throttled_requests=1,
        apq_registrations=0,
        bytes_received=1,
    )


def test_ratios_pair_phases_of_the_same_round() -> None:
    phases = [
        _phase(0, "persisted", True, 8.0),
        _phase(0, "plain", True, 10.0),
        _phase(0, "plain", False, 9.0),
        _phase(0, "persisted", False, 6.0),
        _phase(1, "persisted", True, 4.0),  # a round without its partners: no ratio
    ]
    report = LoadBenchReport(
        options=LoadBenchOptions(),
        accounts=1,
        videos=1,
        dataset_seconds=1.0,
        documents={},
        costs={},
        answers_checked=0,
        answer_mismatches=[],
        apq_registered_by_check=0,
        phases=phases,
        server_start_seconds=[],
        load_average=[],
    )
    ratios = {r.name: r for r in report.ratios()}
    assert sorted(ratios["persisted / plain, CPU per request"].values) == [6 / 9, 0.8]
    assert sorted(ratios["limiter on / off, CPU per request"].values) == [10 / 9, 8 / 6]
    overhead = ratios["limiter on − off, server CPU ms per request"]
    assert sorted(overhead.values) == [1.0, 2.0]
    assert overhead.median == 1.5
    assert phases[0].other_cores_busy == pytest.approx(2.0 - 1.0 - 0.1 - 0.01 - 0.5)
    assert report.ok


def test_data_bytes_drop_only_the_trailing_extensions() -> None:
    body = b'{"data":{"a":1},"extensions":{"cost":{"requested":3}}}'
    assert data_bytes(body) == b'{"data":{"a":1}}'
    assert data_bytes(b'{"data":{"a":1}}') == b'{"data":{"a":1}}'
