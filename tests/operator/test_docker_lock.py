"""docker/requirements.lock pins every dependency pyproject.toml asks for, each with hashes."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # PyYAML comes with uvicorn[standard]
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "docker" / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ \\]+)")
# The image: Linux, CPython 3.11.
TARGET: dict[str, str] = {str(k): str(v) for k, v in default_environment().items()}
TARGET.update(
    sys_platform="linux",
    platform_system="Linux",
    python_version="3.11",
    python_full_version="3.11.0",
    implementation_name="cpython",
)


def locked() -> dict[str, tuple[Version, int]]:
    """name → (pinned version, number of hashes)."""
    pins: dict[str, tuple[Version, int]] = {}
    current = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**TARGET, "extra": e}) for e in extras or {""})


def closure(roots: list[Requirement]) -> list[Requirement]:
    """Every requirement reachable from `roots` on the target, extras followed (through the
    metadata of the installed distributions: the development environment)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    found: list[Requirement] = []
    queue = [(r, set(r.extras)) for r in roots]
    while queue:
        requirement, extras = queue.pop()
        key = (canonicalize_name(requirement.name), frozenset(extras))
        if key in seen:
            continue
        seen.add(key)
        found.append(requirement)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:  # only needed by older Pythons than ours
            continue
        for text in requires:
            child = Requirement(text)
            if applies(child, extras):
                queue.append((child, set(child.extras)))
    return found


def test_lock_satisfies_pyproject_and_hashes_every_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    roots = [Requirement(text) for text in project["project"]["dependencies"]]
    build = [Requirement(text) for text in project["build-system"]["requires"]]
    pins = locked()
    problems = []
    for requirement in [*closure(roots), *build]:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement} is not met by the locked {name}=={pins[name][0]}")
    problems += [f"{name} has no hash" for name, (_, hashes) in pins.items() if hashes == 0]
    assert problems == [], "refresh it: bash docker/lock.sh\n" + "\n".join(problems)


def test_compose_builds_one_image_for_every_app_service() -> None:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    app = {name: s for name, s in services.items() if s["image"] == "creatoraudit:local"}
    assert set(app) == {"migrate", "api", "worker", "simulator"}
    assert [name for name, s in app.items() if "build" in s] == ["migrate"]
    # The others run the image `migrate` built and never try to pull `creatoraudit:local`.
    assert {name: s.get("pull_policy") for name, s in app.items()} == {
        "migrate": None,
        "api": "never",
        "worker": "never",
        "simulator": "never",
    }
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "creatoraudit", "worker", "--check"]
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    # Only the front proxy (slow headers and bodies bounded) is published, not the API itself.
    assert "ports" not in services["api"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert services["proxy"]["ports"] == ["8080:8080"]
    redis = services["redis"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert "redisdata:/data" in redis["volumes"]
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
