"""Switchable faults, so tests can make the platforms misbehave on purpose."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the simulator does wrong, and how often (0–1 per request, deterministic by seed).

    `rate_limit`: answer with the platform's throttling response. `server_error`: 5xx.
    `timeout`: hang for `timeout_seconds` before answering. `malformed`: a body that is not the
    platform's JSON. `latency_ms`: added to every response.
    """

    rate_limit: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    malformed: float = 0.0
    latency_ms: float = 0.0
    timeout_seconds: float = 30.0
    seed: int = 1
    _random: random.Random = field(default_factory=lambda: random.Random(1), repr=False)

    def reseed(self) -> None:
        """Restart the deterministic fault sequence."""
        self._random = random.Random(self.seed)

    def draw(self) -> str | None:
        """Which fault (if any) the next request gets."""
        roll = self._random.random()
        for name in ("rate_limit", "server_error", "timeout", "malformed"):
            chance: float = getattr(self, name)
            if roll < chance:
                return name
            roll -= chance
        return None
