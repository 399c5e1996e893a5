"""Timing `benchmark-limits` documents through everything the endpoint does before executing.

For a POST of a document this process has not seen: JSON decoding of the body, the document's
SHA-256, the cache look-up that misses, parsing with the token cap, measuring and enforcing the
limits, validation, the string-literal scan, the cache's size estimate, the operation, the
variables' bounds and the requested cost (app.graphql.admission), exactly the endpoint's code.
Left out: authentication and the rate-limit spend (a database and a Redis round trip, the same
for every request, spent waiting rather than computing).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson

from app.bench.limits import HOSTILE, REFUSED, TARGET_MS, largest_admitted, padded
from app.graphql import limits as document_limits
from app.graphql.admission import Admitted, Refused, admit
from app.graphql.http_request import HttpError, parse_json_body
from app.graphql.persisted import DocumentResolver, TrustedDocuments
from app.graphql.prepared import DocumentCache
from app.graphql.schema import schema
from app.services.query_registry import LocalQueryRegistry
from app.settings import LimitSettings, PersistedQuerySettings


@dataclass(frozen=True, slots=True)
class Timing:
    """One document's runs: CPU and wall milliseconds, the points charged, what became of it."""

    name: str
    n: int
    shape: document_limits.DocumentShape | None
    cpu_ms: list[float]
    wall_ms: list[float]
    outcome: str
    charge: int = 0


def _without_io(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that never waits (resolving a document sent as text)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("resolving the document waited for I/O")


def _resolver(limits: LimitSettings) -> DocumentResolver:
    """A resolver with an empty document cache sized as `serve` sizes it."""
    documents = PersistedQuerySettings()
    cache = DocumentCache(schema._schema, limits, documents.cache_size, documents.cache_bytes)
    trusted = TrustedDocuments(cache, documents.trusted_cache_seconds)
    return DocumentResolver(cache, trusted, LocalQueryRegistry())


def admit_body(body: bytes, resolver: DocumentResolver, limits: LimitSettings) -> Admitted:
    """What the endpoint does with a POST body before executing it; raises Refused."""
    try:
        params = parse_json_body(body)
    except HttpError as exc:
        raise Refused(exc.status, [], {}) from None
    resolved = _without_io(resolver.resolve(params.document, persisted_only=False))
    return admit(params, resolved, "POST", limits, error_status=400)


def run_once(body: bytes, limits: LimitSettings) -> tuple[float, float, str, int]:
    """One timed admission of a new document: CPU ms, wall ms, outcome, points charged."""
    resolver = _resolver(limits)
    cpu, wall = time.process_time_ns(), time.perf_counter_ns()
    try:
        admitted = admit_body(body, resolver, limits)
        outcome, charge = f"admitted, cost {admitted.cost.requested}", admitted.charge
    except Refused as refused:
        outcome, charge = _refusal_outcome(refused), refused.charge
    cpu_ms = (time.process_time_ns() - cpu) / 1e6
    wall_ms = (time.perf_counter_ns() - wall) / 1e6
    return cpu_ms, wall_ms, outcome, charge


def _refusal_outcome(refused: Refused) -> str:
    if not refused.errors:
        return "refused"
    first = refused.errors[0]
    details = {k: v for k, v in first.get("extensions", {}).items() if k != "code"}
    if "cost" in details:  # validated, then refused for what it would cost to run
        return f"valid, costs {details['cost']} > {details['maxCost']}"
    if details:
        return "refused: " + ", ".join(f"{k}={v}" for k, v in details.items())
    if len(refused.errors) > 1 or ("locations" in first and "Syntax" not in first["message"]):
        return f"invalid ({len(refused.errors)} errors)"
    message: str = first["message"]
    return "refused: " + message.split(".")[0]


def time_document(
    name: str,
    n: int,
    text: str,
    limits: LimitSettings,
    runs: int,
    operation: str | None = None,
) -> Timing:
    """`runs` runs of one document, each behind a new unique comment (filling the body when n)."""
    cpu: list[float] = []
    wall: list[float] = []
    outcome, charge = "", 0
    for _ in range(runs):
        query = padded(text, limits if n else None)
        body = orjson.dumps({"query": query, "variables": {}, "operationName": operation})
        # Garbage of earlier runs is collected first, so a run pays only for its own.
        gc.collect()
        cpu_ms, wall_ms, outcome, charge = run_once(body, limits)
        cpu.append(cpu_ms)
        wall.append(wall_ms)
    shape = None
    if n:
        document = _resolver(limits)._cache.prepare(padded(text, limits))[0].document
        shape = document_limits.measure(document, None, limits) if document else None
    return Timing(name, n, shape, cpu, wall, outcome, charge)


def run_benchmark(
    limits: LimitSettings,
    runs: int,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[Timing], list[Timing]]:
    """Time the largest admitted document of every hostile family, then the refused ones."""
    timings = []
    for hostile in HOSTILE:
        n = largest_admitted(hostile, limits)
        progress(f"{hostile.name}: n = {n}")
        if n:
            document = hostile.build(n)
            timing = time_document(hostile.name, n, document, limits, runs, hostile.operation)
            timings.append(timing)
    refused = [time_document(name, 0, text, limits, runs) for name, text in REFUSED]
    return timings, refused


def _stats(values: list[float]) -> str:
    return f"{min(values):6.1f} {statistics.median(values):6.1f} {max(values):6.1f}"


def format_report(timings: list[Timing], refused: list[Timing], limits: LimitSettings) -> str:
    """A table of the timings and the verdict against the target."""
    lines = [
        f"limits: tokens {limits.max_tokens}, body {limits.max_body_bytes} B, depth "
        f"{limits.max_depth}, aliases {limits.max_aliases}, fields per selection "
        f"{limits.max_fields_per_selection}, fields {limits.max_total_fields}, overlap checks "
        f"{limits.max_overlap_checks}",
        "time = what the endpoint does before executing a new document (JSON body, SHA-256, "
        "parse, measure, validate, literal scan, operation, variables, cost), in ms: min "
        "median max of the runs; admitted documents are padded with a unique comment up to the "
        "body limit; points = what the request is charged",
        "",
        f"{'admitted document':<46}{'n':>5}{'fields':>7}{'checks':>7}{'points':>7}"
        f"  {'CPU ms':^20}  {'wall ms':^20}  outcome",
    ]
    for timing in timings:
        fields = timing.shape.total_fields if timing.shape else 0
        checks = timing.shape.overlap_checks if timing.shape else 0
        lines.append(
            f"{timing.name:<46}{timing.n:>5}{fields:>7}{checks:>7}{timing.charge:>7}  "
            f"{_stats(timing.cpu_ms)}  {_stats(timing.wall_ms)}  {timing.outcome}"
        )
    lines += ["", f"{'refused document':<58}{'points':>7}  {'CPU ms':^20}  {'wall ms':^20}"]
    for timing in refused:
        lines.append(
            f"{timing.name:<58}{timing.charge:>7}  {_stats(timing.cpu_ms)}  "
            f"{_stats(timing.wall_ms)}  {timing.outcome}"
        )
    worst = max(timings, key=lambda t: statistics.median(t.cpu_ms))
    slowest = max(max(t.cpu_ms) for t in timings)
    verdict = "within" if within_target(timings) else "OVER"
    lines += [
        "",
        f"worst admitted document: {worst.name}, median {statistics.median(worst.cpu_ms):.1f} "
        f"ms CPU; slowest run of any: {slowest:.1f} ms CPU: {verdict} the {TARGET_MS:.0f} ms "
        "target",
    ]
    return "\n".join(lines)


def within_target(timings: list[Timing]) -> bool:
    """Whether every run of every admitted document stayed within the target (CPU time)."""
    return all(max(t.cpu_ms) <= TARGET_MS for t in timings)
