"""The load benchmark's client process: N aiohttp clients for a while, results as one JSON line.

Run by `creatoraudit benchmark-load` as `python -m app.bench.load_client PLAN --mode …`; the
plan (a JSON file) names the servers, their pids, the keys and the request bodies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from app.bench.load_cpu import CpuMark
from app.bench.worker_report import percentile

# A GraphQL error answer starts with its errors (the endpoint serialises them first).
_ERRORS_FIRST = b'{"errors"'
_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Bodies:
    """One request of the mix, serialised once: plain, hash only, and text with hash."""

    kind: str
    plain: bytes
    persisted: bytes
    register: bytes


@dataclass(frozen=True, slots=True)
class Plan:
    """What the parent prepared: servers, their pids, keys and the bodies."""

    urls: list[str]
    pids: list[int]
    database: str | None  # whose PostgreSQL backends' CPU to count
    key: str
    throttled_key: str
    mix: list[Bodies]
    throttled: Bodies

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read the plan file."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            raw["urls"],
            raw["pids"],
            raw.get("database"),
            raw["key"],
            raw["throttled_key"],
            [_bodies(b) for b in raw["mix"]],
            _bodies(raw["throttled"]),
        )


def _bodies(raw: dict[str, str]) -> Bodies:
    return Bodies(
        raw["kind"], raw["plain"].encode(), raw["persisted"].encode(), raw["register"].encode()
    )


@dataclass(slots=True)
class Tally:
    """What the timed part of a phase recorded."""

    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    deliberate_429: int = 0
    throttled: int = 0
    registrations: int = 0
    received: int = 0
    answered: int = 0  # the main key's requests started in the timed part, errors included


@dataclass(slots=True)
class Run:
    """A phase in progress: session, plan, mode and clock."""

    session: aiohttp.ClientSession
    plan: Plan
    persisted: bool
    expect_429: bool
    record_from: float
    deadline: float
    tally: Tally = field(default_factory=Tally)
    turn: int = 0
    budget: int | None = None  # timed requests to send in all, then stop (None: until deadline)
    issued: int = 0

    def take(self, started: float) -> bool:
        """Whether a request may start now: always in the warm-up, within the budget after."""
        if started < self.record_from or self.budget is None:
            return True
        self.issued += 1
        return self.issued <= self.budget

    def url(self) -> str:
        """The next server, round-robin over every request of every client."""
        self.turn += 1
        return self.plan.urls[self.turn % len(self.plan.urls)]


def _headers(key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def _code(body: bytes) -> str:
    """The first error's code of a GraphQL error answer, or "?"."""
    try:
        errors = json.loads(body).get("errors") or [{}]
        return str(errors[0].get("extensions", {}).get("code", "?"))
    except (ValueError, AttributeError, IndexError):
        return "?"


async def _post(run: Run, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    async with run.session.post(run.url(), data=body, headers=headers) as response:
        return response.status, await response.read()


async def send(run: Run, bodies: Bodies, headers: dict[str, str]) -> tuple[str | None, int, int]:
    """(error kind or None, status, bytes) of one request, re-registering on a miss as Apollo."""
    try:
        status, body = await _post(
            run, bodies.persisted if run.persisted else bodies.plain, headers
        )
        if run.persisted and status == 200 and body.startswith(_ERRORS_FIRST):
            if _code(body) == _NOT_FOUND:
                run.tally.registrations += 1
                status, body = await _post(run, bodies.register, headers)
    except TimeoutError:
        return "timeout", 0, 0
    except aiohttp.ClientError as exc:
        return type(exc).__name__, 0, 0
    if status == 200 and not body.startswith(_ERRORS_FIRST):
        return None, status, len(body)
    return f"{status} {_code(body)}", status, len(body)


async def main_client(run: Run, offset: int) -> None:
    """Walk the mix from `offset` until the deadline, one request at a time."""
    headers = _headers(run.plan.key)
    tally = run.tally
    turn = offset
    while (started := time.monotonic()) < run.deadline and run.take(started):
        bodies = run.plan.mix[turn % len(run.plan.mix)]
        turn += 1
        error, _, size = await send(run, bodies, headers)
        if error is not None:  # counted in the warm-up too: every wrong answer is an error
            tally.errors[f"{bodies.kind}: {error}"] += 1
        if started < run.record_from:
            continue
        tally.answered += 1
        if error is not None:
            continue
        latency = (time.monotonic() - started) * 1000
        tally.latencies.append(latency)
        tally.by_kind.setdefault(bodies.kind, []).append(latency)
        tally.received += size


async def throttled_client(run: Run, interval: float) -> None:
    """One request per `interval` with the throttled key: its 429s are deliberate."""
    headers = _headers(run.plan.throttled_key)
    tally = run.tally
    next_at = time.monotonic()
    while (started := time.monotonic()) < run.deadline:
        error, status, _ = await send(run, run.plan.throttled, headers)
        deliberate = status == 429 and run.expect_429
        if error is not None and not deliberate:
            tally.errors[f"throttled key: {error}"] += 1
        if started >= run.record_from:
            tally.throttled += 1
            tally.deliberate_429 += deliberate
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def register(session: aiohttp.ClientSession, plan: Plan) -> int:
    """Register each distinct document once by APQ; how many the registry did not know."""
    headers = _headers(plan.key)
    registered = 0
    seen: set[bytes] = set()
    for bodies in [*plan.mix, plan.throttled]:
        if bodies.register in seen:
            continue
        seen.add(bodies.register)
        async with session.post(plan.urls[0], data=bodies.persisted, headers=headers) as answer:
            body = await answer.read()
        if body.startswith(_ERRORS_FIRST) and _code(body) == _NOT_FOUND:
            registered += 1
            async with session.post(
                plan.urls[1 % len(plan.urls)], data=bodies.register, headers=headers
            ) as answer:
                await answer.read()
    return registered


@dataclass(frozen=True, slots=True)
class PhaseArgs:
    """The command line of one phase."""

    mode: str
    clients: int
    throttled_clients: int
    throttled_interval: float
    duration: float
    warmup: float
    timeout: float
    expect_429: bool
    requests: int | None = None  # stop after this many timed requests (all clients together)


async def run_phase(plan: Plan, args: PhaseArgs) -> dict[str, Any]:
    """Warm up, then load the servers for `duration` seconds; the figures of the timed part."""
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        persisted = args.mode == "persisted"
        registered = await register(session, plan) if persisted else 0
        start = time.monotonic()
        run = Run(
            session,
            plan,
            persisted,
            args.expect_429,
            start + args.warmup,
            start + args.warmup + args.duration,
            budget=args.requests,
        )
        marks: list[tuple[float, CpuMark]] = []

        async def mark() -> None:
            await asyncio.sleep(max(0.0, run.record_from - time.monotonic()))
            marks.append((time.monotonic(), CpuMark.now(plan.pids, plan.database)))

        main = args.clients - args.throttled_clients
        await asyncio.gather(
            mark(),
            *(main_client(run, offset) for offset in range(main)),
            *(
                throttled_client(run, args.throttled_interval)
                for _ in range(args.throttled_clients)
            ),
        )
        ended, after = time.monotonic(), CpuMark.now(plan.pids, plan.database)
    began, before = marks[0]
    return {**_result(run.tally, registered), "seconds": ended - began, **after.since(before)}


def _spread(latencies: list[float]) -> dict[str, float | None]:
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
    }


def _result(tally: Tally, registered: int) -> dict[str, Any]:
    return {
        **_spread(tally.latencies),
        "per_kind": {kind: _spread(values) for kind, values in sorted(tally.by_kind.items())},
        "errors": dict(tally.errors),
        "deliberate_429": tally.deliberate_429,
        "throttled_requests": tally.throttled,
        "apq_registrations": registered + tally.registrations,
        "bytes_received": tally.received,
        "answered": tally.answered,
    }


def main() -> None:
    """Parse the command line, run one phase, print its figures as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m app.bench.load_client")
    parser.add_argument("plan", type=Path)
    parser.add_argument("--mode", choices=["persisted", "plain"], required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--throttled-clients", type=int, default=1)
    parser.add_argument("--throttled-interval", type=float, default=0.2)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--expect-429", action="store_true", help="the limiter is on")
    parser.add_argument(
        "--requests", type=int, help="stop after this many timed requests (--duration: a cap)"
    )
    ns = parser.parse_args()
    args = PhaseArgs(
        ns.mode,
        ns.clients,
        ns.throttled_clients,
        ns.throttled_interval,
        ns.duration,
        ns.warmup,
        ns.timeout,
        ns.expect_429,
        ns.requests,
    )
    result = asyncio.run(run_phase(Plan.load(ns.plan), args))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
