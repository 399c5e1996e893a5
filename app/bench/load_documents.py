"""The load benchmark's requests: documents, real ids as variables, the mix, APQ bodies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from app.bench.dashboard_documents import DASHBOARD
from app.graphql.ids import encode_id

SEARCH = """
query Search($q: String!) {
  search(query: $q, limit: 10) {
    accounts { id handle platform followers }
    creators { id name }
    videos { id platform views publishedAt }
  }
}
"""

ACCOUNT_METRICS = """
query AccountMetrics($ids: [ID!]!) {
  accountMetrics(ids: $ids, window: {preset: D30}) {
    items {
      account { id handle }
      metrics { window { start end } followers followersChange videosPublished views likes
        comments shares engagementRate coverage }
    }
    notFound
  }
}
"""

VIDEO_METRICS = """
query VideoMetrics($ids: [ID!]!) {
  videoMetrics(ids: $ids, window: {preset: D7}) {
    items { video { id } metrics { views plays likes comments shares saves engagementRate } }
    notFound
  }
}
"""

VIDEO_DELTAS = """
query VideoDeltas($ids: [ID!]!) {
  videoDeltas(ids: $ids, days: [1, 7, 30]) {
    items { video { id } deltas { days views } }
    notFound
  }
}
"""

# Ids per batch read: a dashboard-sized page, well under the 200-id limit.
ACCOUNT_BATCH = 50
VIDEO_BATCH = 100
SEARCH_TEXTS = ("bench00001", "Creator 001", "bench0001", "bench000042")


@dataclass(frozen=True, slots=True)
class LoadRequest:
    """One request of the mix: a named operation, its text and hash, its variables."""

    kind: str
    operation_name: str
    query: str
    sha256: str
    variables: dict[str, Any] | None

    def plain_body(self) -> bytes:
        """The full text, every time."""
        return orjson.dumps(
            {"query": self.query, "operationName": self.operation_name, "variables": self.variables}
        )

    def persisted_body(self) -> bytes:
        """Only the APQ hash (Apollo protocol)."""
        return orjson.dumps(
            {
                "operationName": self.operation_name,
                "variables": self.variables,
                "extensions": _apq(self.sha256),
            }
        )

    def register_body(self) -> bytes:
        """The text with its hash: registers the document for every API process."""
        return orjson.dumps(
            {
                "query": self.query,
                "operationName": self.operation_name,
                "variables": self.variables,
                "extensions": _apq(self.sha256),
            }
        )


def _apq(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


def _request(
    kind: str, operation: str, text: str, run_id: str, variables: dict[str, Any] | None = None
) -> LoadRequest:
    # A comment naming the run makes every hash new: the run sees its own APQ registrations,
    # and deletes exactly its own keys from the shared Redis afterwards.
    query = f"# creatoraudit benchmark-load {run_id}\n{text.strip()}\n"
    return LoadRequest(
        kind, operation, query, hashlib.sha256(query.encode()).hexdigest(), variables
    )


def _chunks(ids: list[str], size: int, count: int) -> list[list[str]]:
    """`count` batches of `size` ids, different ones where there are enough."""
    if not ids:
        raise ValueError("the dataset has no ids to read")
    return [[ids[(n * size + i) % len(ids)] for i in range(size)] for n in range(count)]


def build_mix(run_id: str, account_pks: list[int], video_pks: list[int]) -> list[LoadRequest]:
    """One cycle of the mix: the dashboard once, three searches, two of each batch read."""
    accounts = [encode_id("Account", pk) for pk in account_pks]
    videos = [encode_id("AccountVideo", pk) for pk in video_pks]
    mix = [_request("dashboard", "Dashboard", DASHBOARD, run_id)]
    mix += [_request("search", "Search", SEARCH, run_id, {"q": text}) for text in SEARCH_TEXTS[:3]]
    mix += [
        _request("accountMetrics", "AccountMetrics", ACCOUNT_METRICS, run_id, {"ids": ids})
        for ids in _chunks(accounts, ACCOUNT_BATCH, 2)
    ]
    for kind, operation, text in (
        ("videoMetrics", "VideoMetrics", VIDEO_METRICS),
        ("videoDeltas", "VideoDeltas", VIDEO_DELTAS),
    ):
        mix += [
            _request(kind, operation, text, run_id, {"ids": ids})
            for ids in _chunks(videos, VIDEO_BATCH, 2)
        ]
    return mix


def throttled_request(run_id: str) -> LoadRequest:
    """What the throttled key sends: a search (its organization has no data; the cost counts)."""
    return _request("search", "Search", SEARCH, run_id, {"q": SEARCH_TEXTS[3]})
