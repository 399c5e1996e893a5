"""`creatoraudit doctor` against a good setup (database, Redis, simulator) and broken ones."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL
from tests.js.api_server import CREATORAUDIT, free_port


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    """`creatoraudit simulate` on a free port, as an operator would run it."""
    port = free_port()
    process = subprocess.Popen(
        [str(CREATORAUDIT), "simulate", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the simulator exited"
                assert time.monotonic() < deadline, "the simulator did not listen"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def good_env(database_url: str, simulator: str) -> dict[str, str]:
    return {
        "CREATORAUDIT_DATABASE_URL": database_url,
        "CREATORAUDIT_REDIS_URL": REDIS_URL,
        "CREATORAUDIT_QUEUE_NAME": f"doctor-test:{uuid.uuid4().hex}",
        "CREATORAUDIT_INSTAGRAM__BASE_URL": f"{simulator}/instagram",
        "CREATORAUDIT_TIKTOK__BASE_URL": f"{simulator}/tiktok",
    }


def doctor(env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Exit code, the line of each check by name, and the last line."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    done = subprocess.run(
        [str(CREATORAUDIT), "doctor"],
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    *checks, summary = done.stdout.strip().splitlines()
    return done.returncode, {line.split()[1]: line for line in checks}, summary


def test_good_setup_passes_every_check(good_env: dict[str, str], simulator: str) -> None:
    code, lines, summary = doctor(good_env)
    assert code == 0, lines
    assert list(lines) == [
        "settings",
        "database",
        "migrations",
        "redis",
        "queue",
        "instagram",
        "tiktok",
    ]
    assert all(line.startswith("OK   ") for line in lines.values()), lines
    assert "all applied" in lines["migrations"]
    assert "answers PING" in lines["redis"]
    assert "0 job(s) waiting" in lines["queue"]
    assert f"{simulator}/instagram reachable" in lines["instagram"]
    assert summary == "doctor: all 7 checks passed"


def test_unreachable_redis(good_env: dict[str, str]) -> None:
    port = free_port()
    code, lines, summary = doctor(
        {**good_env, "CREATORAUDIT_REDIS_URL": f"redis://127.0.0.1:{port}"}
    )
    assert code == 1
    assert lines["redis"].startswith(f"FAIL redis       cannot connect to redis://127.0.0.1:{port}")
    assert "is Redis running there?" in lines["redis"]
    assert "queue" not in lines
    assert lines["database"].startswith("OK")
    assert summary == "doctor: 1 of 6 checks failed"


def test_wrong_database(good_env: dict[str, str]) -> None:
    url = "postgres://postgres@127.0.0.1:5432/creatoraudit_doctor_missing"
    code, lines, _ = doctor({**good_env, "CREATORAUDIT_DATABASE_URL": url})
    assert code == 1
    assert "database 'creatoraudit_doctor_missing' does not exist" in lines["database"]
    assert lines["database"].startswith("FAIL")
    assert "migrations" not in lines  # nothing to look at without a database
    assert lines["redis"].startswith("OK")


def test_unreachable_platform(good_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/tiktok"
    code, lines, summary = doctor({**good_env, "CREATORAUDIT_TIKTOK__BASE_URL": url})
    assert code == 1
    assert lines["tiktok"].startswith(f"FAIL tiktok      cannot reach {url}")
    assert "check CREATORAUDIT_TIKTOK__BASE_URL" in lines["tiktok"]
    assert lines["instagram"].startswith("OK")
    assert summary == "doctor: 1 of 7 checks failed"


def test_bad_setting_is_a_failed_check(good_env: dict[str, str]) -> None:
    code, lines, summary = doctor({**good_env, "CREATORAUDIT_WORKER__MAX_JOBS": "0"})
    assert code == 1
    assert lines == {
        "settings": "FAIL settings    CREATORAUDIT_WORKER__MAX_JOBS: Input should be greater than "
        "or equal to 1 (got '0') — fix the variable (README: Configuration)"
    }
    assert summary == "doctor: 1 of 1 checks failed"


def test_worker_check_follows_the_worker(good_env: dict[str, str], tmp_path: Path) -> None:
    # A database of its own: the worker refreshes whatever is due in it.
    env = {**good_env, "CREATORAUDIT_DATABASE_URL": f"sqlite://{tmp_path / 'worker.sqlite3'}"}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    subprocess.run([str(CREATORAUDIT), "migrate"], env={**clean, **env}, check=True)

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CREATORAUDIT), "worker", "--check"],
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    before = check()
    assert before.returncode == 1
    assert before.stdout.startswith("FAIL worker      no health record")
    worker = subprocess.Popen(
        [str(CREATORAUDIT), "worker"],
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while (running := check()).returncode != 0:
            assert worker.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, running.stdout
            time.sleep(0.5)
        assert running.stdout.startswith("OK   worker      ")
        assert "j_complete=" in running.stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    # arq deletes the record when the worker stops.
    assert check().returncode == 1
