"""Scraping a metrics listener and reading samples out of the Prometheus text format."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

CREATORAUDIT = Path(sys.executable).parent / "creatoraudit"


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape, by name and labels."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return cls(samples)

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when absent (a counter not yet incremented)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples whose labels include these."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == name and wanted <= ls)

    def label_values(self, name: str, label: str) -> set[str]:
        """Every value `label` takes in `name`'s samples."""
        return {dict(ls)[label] for (n, ls) in self.samples if n == name and label in dict(ls)}


async def scrape(url: str) -> Scrape:
    """GET the metrics page and parse it (it must answer 200 in the text format)."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape.parse(response.text)


async def wait_for(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without the developer's CREATORAUDIT_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATORAUDIT_")}
    env.update(extra)
    return env
