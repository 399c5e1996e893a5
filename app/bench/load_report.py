"""The load benchmark's options, per-phase results, ratios, table and JSON line."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

MODES = ("persisted", "plain")


@dataclass(frozen=True, slots=True)
class LoadBenchOptions:
    """What to run: phase length, concurrency, rounds, dataset size and where."""

    duration_seconds: float = 60.0
    clients: int = 50
    rounds: int = 1
    # A fraction or multiple of the dashboard benchmark's scale 1 (1,000 accounts).
    scale: float = 0.2
    database_url: str = "postgres://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379"
    # Clients (of `clients`) sending with the throttled key, each one request per interval.
    throttled_clients: int = 1
    # Slow enough that its cheap 429s hardly change the requests the CPU is divided by.
    throttled_interval_seconds: float = 1.0
    # The throttled organization's ceiling, in requests of its document per rate-limit window
    # (60 s): after the first, one request per interval is refused until the window refills.
    throttled_budget_requests: int = 1
    timeout_seconds: float = 30.0
    startup_timeout_seconds: float = 60.0

    @property
    def warmup_seconds(self) -> float:
        """Untimed load at the start of each phase (connections, caches, pools)."""
        return min(5.0, self.duration_seconds / 10)


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One phase: one document form, the limiter on or off, `duration` seconds of load."""

    round: int
    mode: str  # "persisted" or "plain"
    limiter: bool
    requests: int  # the main key's requests started in the timed part
    seconds: float
    throughput: float  # the main key's requests per second
    p50_ms: float | None
    p99_ms: float | None
    # Both servers' CPU over the timed part ÷ the main key's requests in it (the throttled
    # key's, one a second at most, ride along).
    server_cpu_ms_per_request: float | None
    server_cores_busy: float | None  # both servers' CPU seconds per wall second
    # The scratch database's PostgreSQL backends, the same way.
    database_cpu_ms_per_request: float | None
    database_cores_busy: float | None
    # Redis is shared with whatever else uses it: an upper bound of the benchmark's share.
    redis_cpu_ms_per_request: float | None
    redis_cores_busy: float | None
    client_cores_busy: float | None
    machine_cores_busy: float | None  # every process on the machine (2 cores: at most 2)
    errors: dict[str, int]
    deliberate_429: int
    throttled_requests: int
    apq_registrations: int  # PersistedQueryNotFound answered by resending the text
    bytes_received: int
    per_kind: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def other_cores_busy(self) -> float | None:
        """The machine's CPU not spent by the servers, their database, Redis or the client."""
        ours = (
            self.server_cores_busy,
            self.database_cores_busy,
            self.redis_cores_busy,
            self.client_cores_busy,
        )
        if self.machine_cores_busy is None or None in ours:
            return None
        return self.machine_cores_busy - sum(x or 0.0 for x in ours)

    @property
    def label(self) -> str:
        """ "persisted, limiter on"."""
        return f"{self.mode}, limiter {'on' if self.limiter else 'off'}"


@dataclass(frozen=True, slots=True)
class Ratio:
    """One ratio measured once per round (and per pair), with its spread."""

    name: str
    values: list[float]

    @property
    def min(self) -> float | None:
        """Smallest value."""
        return min(self.values, default=None)

    @property
    def median(self) -> float | None:
        """Median value."""
        return statistics.median(self.values) if self.values else None

    @property
    def max(self) -> float | None:
        """Largest value."""
        return max(self.values, default=None)


@dataclass(frozen=True, slots=True)
class LoadBenchReport:
    """Everything one run measured."""

    options: LoadBenchOptions
    accounts: int
    videos: int
    dataset_seconds: float
    documents: dict[str, int]  # request kind → its share of the mix (requests per cycle)
    costs: dict[str, int]  # request kind → requested cost points
    answers_checked: int
    answer_mismatches: list[str]
    apq_registered_by_check: int  # documents the APQ registry did not know (first check)
    phases: list[PhaseResult]
    server_start_seconds: list[float]
    load_average: list[float]
    log_tail: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Every unexpected answer, over all phases."""
        return sum(sum(p.errors.values()) for p in self.phases)

    @property
    def limiter_refused(self) -> bool:
        """Every phase with the limiter on saw deliberate 429s."""
        return all(p.deliberate_429 > 0 for p in self.phases if p.limiter)

    @property
    def ok(self) -> bool:
        """No errors, identical answers, and the throttled key was throttled."""
        return not self.errors and not self.answer_mismatches and self.limiter_refused

    @property
    def other_cores(self) -> tuple[float, float] | None:
        """The least and most CPU other processes took during a phase (a shared machine)."""
        others = [p.other_cores_busy for p in self.phases if p.other_cores_busy is not None]
        return (min(others), max(others)) if others else None

    def ratios(self) -> list[Ratio]:
        """persisted/plain at each limiter setting, limiter on/off for each form, per round."""
        pairs: list[tuple[str, list[tuple[PhaseResult, PhaseResult]]]] = [
            ("persisted / plain", self._pairs("mode")),
            ("limiter on / off", self._pairs("limiter")),
        ]
        ratios = []
        for name, matched in pairs:
            for metric, unit in (
                ("server_cpu_ms_per_request", "CPU per request"),
                ("p50_ms", "p50 latency"),
                ("throughput", "throughput"),
            ):
                values = [_ratio(getattr(a, metric), getattr(b, metric)) for a, b in matched]
                ratios.append(Ratio(f"{name}, {unit}", [v for v in values if v is not None]))
        for metric, unit in (
            ("server_cpu_ms_per_request", "server CPU ms per request"),
            ("redis_cpu_ms_per_request", "Redis CPU ms per request"),
        ):
            differences = [
                _difference(getattr(a, metric), getattr(b, metric))
                for a, b in self._pairs("limiter")
            ]
            ratios.append(
                Ratio(f"limiter on − off, {unit}", [d for d in differences if d is not None])
            )
        return ratios

    def _pairs(self, differing: str) -> list[tuple[PhaseResult, PhaseResult]]:
        """Phases of one round differing only in `differing`: (persisted, plain) or (on, off)."""
        index = {(p.round, p.mode, p.limiter): p for p in self.phases}
        matched = []
        for (round_, mode, limiter), a in index.items():
            if differing == "mode" and mode == "persisted":
                b = index.get((round_, "plain", limiter))
            elif differing == "limiter" and limiter:
                b = index.get((round_, mode, False))
            else:
                continue
            if b is not None:
                matched.append((a, b))
        return matched


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none"


def _header(report: LoadBenchReport) -> list[str]:
    o = report.options
    return [
        "",
        f"load benchmark: {o.clients} clients ({o.throttled_clients} on the throttled key, one "
        f"request per {o.throttled_interval_seconds:g} s each) over 2 `creatoraudit serve` "
        f"processes sharing Redis; {o.duration_seconds:g} s per phase after "
        f"{o.warmup_seconds:g} s of warm-up, {o.rounds} round(s)",
        f"dataset: {report.accounts:,} accounts, {report.videos:,} videos "
        f"(generated in {report.dataset_seconds:.0f} s); load average at start "
        + " ".join(f"{x:.2f}" for x in report.load_average),
        "mix per cycle: "
        + ", ".join(
            f"{k} ×{n} (cost {report.costs.get(k, '?')})" for k, n in report.documents.items()
        ),
        f"answers checked (persisted vs plain, byte-identical data): {report.answers_checked}, "
        f"mismatches: {len(report.answer_mismatches)}; documents registered by APQ: "
        f"{report.apq_registered_by_check}",
        *(f"  MISMATCH {m}" for m in report.answer_mismatches),
    ]


def _phase_rows(report: LoadBenchReport) -> list[str]:
    lines = [
        f"  {'phase':<24}{'round':>6}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'CPU ms/req: srv':>16}{'db':>6}{'redis':>6}{'cores: srv':>11}{'db':>6}"
        f"{'redis':>6}{'client':>7}{'other':>6}{'429s':>6}  errors"
    ]
    for p in report.phases:
        lines.append(
            f"  {p.label:<24}{p.round + 1:>6}{p.requests:>9}{p.throughput:>8.1f}"
            f"{_num(p.p50_ms, 1):>8}{_num(p.p99_ms, 1):>8}"
            f"{_num(p.server_cpu_ms_per_request):>16}{_num(p.database_cpu_ms_per_request):>6}"
            f"{_num(p.redis_cpu_ms_per_request):>6}{_num(p.server_cores_busy):>11}"
            f"{_num(p.database_cores_busy):>6}{_num(p.redis_cores_busy):>6}"
            f"{_num(p.client_cores_busy):>7}{_num(p.other_cores_busy):>6}"
            f"{p.deliberate_429:>6}  {_errors(p.errors)}"
        )
    return lines


def _kind_rows(report: LoadBenchReport) -> list[str]:
    lines = [f"  {'p50 ms by request kind':<24}" + "".join(f"{k:>16}" for k in report.documents)]
    for p in report.phases:
        cells = "".join(
            f"{_num(p.per_kind.get(k, {}).get('p50_ms'), 1):>16}" for k in report.documents
        )
        lines.append(f"  {p.label:<24}{cells}")
    return lines


def _ratio_rows(report: LoadBenchReport) -> list[str]:
    lines = [f"  {'ratio':<44}{'min':>8}{'median':>8}{'max':>8}{'n':>4}"]
    for ratio in report.ratios():
        lines.append(
            f"  {ratio.name:<44}{_num(ratio.min):>8}{_num(ratio.median):>8}"
            f"{_num(ratio.max):>8}{len(ratio.values):>4}"
        )
    return lines


# Other processes' CPU varying more than this between phases makes throughput and latency
# compare the machine's moments rather than the phases.
NOISY_CORES = 0.2


def _noise_warning(report: LoadBenchReport) -> list[str]:
    spread = report.other_cores
    if spread is None or spread[1] - spread[0] <= NOISY_CORES:
        return []
    return [
        f"  warning: other processes took {spread[0]:.2f}–{spread[1]:.2f} of the machine's "
        "cores during the phases: throughput and latency ratios reflect that; CPU per request "
        "is the steadier figure"
    ]


def format_report(report: LoadBenchReport) -> str:
    """The human-readable table."""
    lines = [
        *_header(report),
        "",
        *_phase_rows(report),
        "",
        *_kind_rows(report),
        "",
        *_ratio_rows(report),
        "",
        f"  total errors {report.errors}; server starts (s): "
        + " ".join(f"{s:.1f}" for s in report.server_start_seconds),
    ]
    lines += _noise_warning(report)
    if report.log_tail:
        lines += ["", "  server log (last lines):", *(f"    {x}" for x in report.log_tail)]
    return "\n".join(lines)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def report_json(report: LoadBenchReport) -> str:
    """One JSON line with the options and the figures (for CI logs and the README)."""
    body = asdict(report)
    body.pop("log_tail")
    for secret in ("database_url", "redis_url"):  # may carry passwords
        body["options"].pop(secret)
    body["ratios"] = {
        r.name: {"min": r.min, "median": r.median, "max": r.max, "n": len(r.values)}
        for r in report.ratios()
    }
    for phase, raw in zip(report.phases, body["phases"], strict=True):
        raw["other_cores_busy"] = phase.other_cores_busy
    body["other_cores"] = list(report.other_cores) if report.other_cores else None
    body["errors"] = report.errors
    body["ok"] = report.ok
    return json.dumps({"benchmark": "load", **_rounded(body)}, separators=(",", ":"))
