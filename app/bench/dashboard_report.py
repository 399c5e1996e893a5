"""`creatoraudit benchmark`: options, per-phase results, ratios across rounds, table, JSON line."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

API, FLOOR = "api", "floor"
DASHBOARD = "dashboard"
ORG_KINDS = ("org metrics", "org series")
ORG_LABELS = ("D7", "D90", "366 d")


@dataclass(frozen=True, slots=True)
class DashboardBenchOptions:
    """What to run: dataset scales, rounds, requests per phase, concurrencies and where."""

    scale: float = 1
    compare_scale: float | None = None
    # Five rounds: on a shared machine one round in three or four is disturbed, and the median
    # of three then rests on two.
    rounds: int = 5
    requests: int = 60  # timed requests per phase (one server, one document, one concurrency)
    # The organization's requests cost ≈ 3–5 ms: five times as many, so that a phase lasts
    # ≈ 1.5 s (its CPU ≈ 100 ticks of /proc's 10 ms) rather than a fraction of a second that one
    # burst of another process's work decides.
    org_request_factor: int = 5
    connections: tuple[int, ...] = (1, 4)
    reuse: bool = False
    database_url: str = "postgres://postgres@127.0.0.1:5432/creatoraudit_bench"
    redis_url: str = "redis://127.0.0.1:6379"
    warmup_seconds: float = 1.0  # untimed load at the start of each phase
    timeout_seconds: float = 60.0
    startup_timeout_seconds: float = 60.0
    # Settings for the API process only (NAME=VALUE without the CREATORAUDIT_ prefix), e.g.
    # COLLECTOR__FREEZE=false to measure a setting both ways.
    api_settings: tuple[str, ...] = ()

    @property
    def scales(self) -> list[float]:
        """The scales to generate, the measured one first."""
        return [self.scale] + ([self.compare_scale] if self.compare_scale else [])


@dataclass(frozen=True, slots=True)
class Phase:
    """`requests` identical requests to one server at one concurrency, after a warm-up."""

    round: int
    server: str  # API or FLOOR
    measurement: str  # DASHBOARD, or "<org kind> <window label>"
    scale: float
    connections: int
    requests: int
    seconds: float
    throughput: float  # requests per second
    p50_ms: float | None
    p99_ms: float | None
    server_cpu_ms_per_request: float | None  # the server process's utime + stime
    database_cpu_ms_per_request: float | None  # the benchmark database's backends
    errors: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Spread:
    """One ratio in every round, and its min / median / max."""

    rounds: list[float]

    def as_dict(self) -> dict[str, Any]:
        """For the JSON line."""
        if not self.rounds:
            return {"rounds": [], "min": None, "median": None, "max": None}
        return {
            "rounds": [round(r, 3) for r in self.rounds],
            "min": round(min(self.rounds), 3),
            "median": round(statistics.median(self.rounds), 3),
            "max": round(max(self.rounds), 3),
        }


_METRICS: dict[str, Callable[[Phase], float | None]] = {
    "server CPU per request": lambda p: p.server_cpu_ms_per_request,
    "requests/s": lambda p: p.throughput,
    "p50 latency": lambda p: p.p50_ms,
    "p99 latency": lambda p: p.p99_ms,
}


def _cpu(phase: Phase) -> float | None:
    return phase.server_cpu_ms_per_request


@dataclass(slots=True)
class DashboardBenchReport:
    """Everything one run measured."""

    options: DashboardBenchOptions
    date: str
    datasets: dict[float, dict[str, Any]]
    answer_bytes: int
    statements_per_dashboard: int | None
    phases: list[Phase]
    load_average: list[float]
    log_tail: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Failed requests over every phase."""
        return sum(sum(p.errors.values()) for p in self.phases)

    @property
    def ok(self) -> bool:
        """Identical answers (checked before timing) and no failed request."""
        return self.errors == 0

    def _ratio(
        self, top: dict[str, Any], bottom: dict[str, Any], value: Callable[[Phase], float | None]
    ) -> Spread:
        rounds = []
        for r in range(self.options.rounds):
            above = self._find(round=r, **top)
            below = self._find(round=r, **bottom)
            if above and below and (a := value(above)) is not None and (b := value(below)):
                rounds.append(a / b)
        return Spread(rounds)

    def _find(self, **wanted: Any) -> Phase | None:
        for phase in self.phases:
            if all(getattr(phase, k) == v for k, v in wanted.items()):
                return phase
        return None

    def ratios(self) -> dict[str, Spread]:
        """API / floor per metric and concurrency; long / short windows; scale / scale."""
        base = self.options.scale
        out: dict[str, Spread] = {}
        for connections in self.options.connections:
            on = {"measurement": DASHBOARD, "scale": base, "connections": connections}
            for name, value in _METRICS.items():
                out[f"dashboard API / floor, {name}, {connections} conn"] = self._ratio(
                    {**on, "server": API}, {**on, "server": FLOOR}, value
                )
        for kind in ORG_KINDS:
            out[f"{kind} 366 d / D7, server CPU per request"] = self._ratio(
                {"measurement": f"{kind} 366 d", "scale": base},
                {"measurement": f"{kind} D7", "scale": base},
                _cpu,
            )
        other = self.options.compare_scale
        if other:
            for measurement in (DASHBOARD, "org metrics D90", "org series D90"):
                on = {"measurement": measurement, "server": API, "connections": 1}
                out[f"{measurement} x{other:g} / x{base:g}, server CPU per request"] = self._ratio(
                    {**on, "scale": other}, {**on, "scale": base}, _cpu
                )
        return out

    def medians(self) -> Iterator[tuple[str, dict[str, float | None]]]:
        """Per measured combination, the median over rounds of each figure."""
        keys = dict.fromkeys((p.scale, p.measurement, p.server, p.connections) for p in self.phases)
        for scale, measurement, server, connections in keys:
            same = [
                p
                for p in self.phases
                if (p.scale, p.measurement, p.server, p.connections)
                == (scale, measurement, server, connections)
            ]
            label = f"x{scale:g} {measurement}, {server}, {connections} conn"
            yield (
                label,
                {
                    "p50 ms": _median([p.p50_ms for p in same]),
                    "p99 ms": _median([p.p99_ms for p in same]),
                    "req/s": _median([p.throughput for p in same]),
                    "CPU ms/req": _median([p.server_cpu_ms_per_request for p in same]),
                    "DB ms/req": _median([p.database_cpu_ms_per_request for p in same]),
                },
            )


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _cell(value: float | None, width: int) -> str:
    return f"{'–' if value is None else f'{value:.2f}':>{width}}"


def format_report(report: DashboardBenchReport) -> str:
    """The table: medians per measurement, then each ratio's min / median / max over rounds."""
    o = report.options
    lines = [
        "",
        f"{o.rounds} interleaved rounds × {o.requests} requests per dashboard phase "
        f"({o.requests * o.org_request_factor} per organization phase); answers identical "
        f"({report.answer_bytes:,} bytes); SQL statements per dashboard request: "
        f"{report.statements_per_dashboard}; failed requests: {report.errors}",
        "",
        f"{'median over rounds':<48}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
        f"{'CPU ms/req':>12}{'DB ms/req':>11}",
    ]
    for label, figures in report.medians():
        widths = (9, 9, 9, 12, 11)
        cells = "".join(_cell(v, w) for v, w in zip(figures.values(), widths, strict=True))
        lines.append(f"{label:<48}{cells}")
    lines += ["", f"{'ratio (per round)':<62}{'min':>8}{'median':>8}{'max':>8}"]
    for name, spread in report.ratios().items():
        d = spread.as_dict()
        lines.append(f"{name:<62}{_cell(d['min'], 8)}{_cell(d['median'], 8)}{_cell(d['max'], 8)}")
    return "\n".join(lines)


def report_json(report: DashboardBenchReport) -> str:
    """Everything as one JSON line (the database URL left out)."""
    options = asdict(report.options)
    options.pop("database_url")
    return json.dumps(
        {
            "benchmark": "dashboard",
            "ok": report.ok,
            "date": report.date,
            "options": options,
            "datasets": {f"{k:g}": v for k, v in report.datasets.items()},
            "answers_identical": True,
            "answer_bytes": report.answer_bytes,
            "statements_per_dashboard": report.statements_per_dashboard,
            "errors": report.errors,
            "ratios": {k: v.as_dict() for k, v in report.ratios().items()},
            "phases": [asdict(p) for p in report.phases],
            "load_average": report.load_average,
            "log_tail": report.log_tail,
        }
    )
