"""The shared multiprocess directory: claimed at start, emptied when nobody uses it.

prometheus-client decides at import time whether values live in memory or in per-process
files under PROMETHEUS_MULTIPROC_DIR, so `prepare` must run before anything imports it (the
`serve` and `worker` commands call it first). Its documentation asks for the directory to be
emptied before a deployment starts; our processes start independently (API and workers), so
each one, under a lock, empties it only when no live process has claimed it, then claims it
with a `live-<pid>.pid` file. Counters of a process that exits stay (they are part of the
totals); its live gauges are dropped (`mark_process_dead`).
"""

from __future__ import annotations

import atexit
import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
_MARKER = "live-{pid}.pid"


def prepare(directory: str | None) -> None:
    """Switch prometheus-client to multiprocess mode in `directory` (None: in-memory mode)."""
    if not directory:
        return
    if "prometheus_client" in sys.modules and os.environ.get(ENV) != directory:
        raise RuntimeError("metrics: the multiprocess directory must be set before importing")
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    pid = os.getpid()
    with _locked(path):
        if not live_processes(path):
            _empty(path)
        (path / _MARKER.format(pid=pid)).touch()
    atexit.register(release, path, pid)


def release_this_process() -> None:
    """Called as the process shuts down: uvicorn ends a SIGTERM by re-raising it, so atexit
    handlers do not run there."""
    directory = os.environ.get(ENV)
    if directory:
        release(Path(directory), os.getpid())


def release(path: Path, pid: int) -> None:
    """This process is gone: drop its live gauges and its claim (its counters stay)."""
    from prometheus_client import multiprocess

    with _locked(path):
        multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
        (path / _MARKER.format(pid=pid)).unlink(missing_ok=True)


def live_processes(path: Path) -> list[int]:
    """Processes whose claim is on the directory and which are still running."""
    alive = []
    for marker in path.glob(_MARKER.format(pid="*")):
        pid = int(marker.stem.removeprefix("live-"))
        if _running(pid):
            alive.append(pid)
    return alive


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _empty(path: Path) -> None:
    # Only what we put there: metric files and claims of processes that are gone.
    for item in [*path.glob("*.db"), *path.glob(_MARKER.format(pid="*"))]:
        item.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with (path / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
