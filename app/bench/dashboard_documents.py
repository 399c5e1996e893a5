"""The documents `creatoraudit benchmark` sends: the dashboard and the organization's windows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson

DASHBOARD = """
query Dashboard {
  accounts(first: 100, orderBy: {field: ADDED_AT, direction: ASC}) {
    nodes {
      id handle platform followers
      metrics(window: {preset: D30}) {
        window { start end days } followers followersChange videosPublished views plays likes
        comments shares saves engagementRate coverage
      }
      comparison(window: {preset: D30}) {
        window { start end days } previousWindow { start end days }
        followers { ...C } followersChange { ...C } videosPublished { ...C } views { ...C }
        plays { ...C } likes { ...C } comments { ...C } shares { ...C } saves { ...C }
        engagementRate { current previous change changePercent }
      }
      series(window: {preset: D30}) {
        window { start end days } dates observed followers followersChange videosPublished
        views plays likes comments shares saves engagementRate
      }
    }
  }
}
fragment C on CountChange { current previous change changePercent }
"""

ORG_METRICS = """
query Org($window: WindowInput!) {
  organization {
    metrics(window: $window) { followers followersChange videosPublished views likes
      engagementRate coverage }
    comparison(window: $window) { views { current previous change changePercent }
      followers { current previous change } }
  }
}
"""

ORG_SERIES = """
query OrgSeries($window: WindowInput!) {
  organization { series(window: $window) { dates observed followers views likes comments } }
}
"""


def org_windows(today: date) -> dict[str, dict[str, Any]]:
    """The organization measurements' windows: D7, D90 and the longest range (366 days)."""
    start = today - timedelta(days=365)
    return {
        "D7": {"preset": "D7"},
        "D90": {"preset": "D90"},
        "366 d": {"range": {"start": start.isoformat(), "end": today.isoformat()}},
    }


def body(document: str, variables: dict[str, Any] | None = None) -> bytes:
    """A POST body for the document."""
    return orjson.dumps({"query": document, **({"variables": variables} if variables else {})})
