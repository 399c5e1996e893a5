"""CPU seconds from /proc: given processes, PostgreSQL backends, Redis, the whole machine."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def own_cpu() -> float:
    """This process's CPU seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _titles() -> Iterator[tuple[int, str]]:
    """(pid, command line) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        yield int(entry.name), raw.replace(b"\0", b" ").decode(errors="replace")


def backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `database` (by its process title).

    Backends run on this machine (the benchmark only talks to 127.0.0.1); their title reads
    "postgres: <cluster>: <user> <database> <client> <state>".
    """
    return {
        pid: process_cpu(pid)
        for pid, title in _titles()
        if title.startswith("postgres:") and f" {database} " in title
    }


def redis_servers() -> float:
    """CPU seconds of the local Redis servers (shared: other users' commands count too)."""
    return sum(process_cpu(pid) for pid, title in _titles() if title.startswith("redis-server"))


def machine_busy() -> float:
    """CPU seconds every core spent on anything but idle and I/O wait since boot."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    # guest time is already counted in user time
    return (sum(values[:8]) - idle) / _TICKS


@dataclass(frozen=True, slots=True)
class CpuMark:
    """CPU counters at one instant."""

    servers: float
    client: float
    database: dict[int, float]
    redis: float
    machine: float

    @classmethod
    def now(cls, pids: list[int], database: str | None) -> CpuMark:
        """Read every counter."""
        return cls(
            sum(process_cpu(pid) for pid in pids),
            own_cpu(),
            backends(database) if database else {},
            redis_servers(),
            machine_busy(),
        )

    def since(self, before: CpuMark) -> dict[str, float]:
        """CPU seconds spent between `before` and this mark, by whom.

        A backend started in between counts whole; one that exited in between is lost.
        """
        database = sum(cpu - before.database.get(pid, 0.0) for pid, cpu in self.database.items())
        return {
            "server_cpu_seconds": self.servers - before.servers,
            "client_cpu_seconds": self.client - before.client,
            "database_cpu_seconds": database,
            "redis_cpu_seconds": self.redis - before.redis,
            "machine_cpu_seconds": self.machine - before.machine,
        }
