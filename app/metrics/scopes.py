"""Metric scopes: what kind of thing a row of `metric_day` or `metric_scope` is about, which one."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import ScopeKind

__all__ = ["Scope"]


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    """A metric scope: what kind of thing, which one."""

    kind: ScopeKind
    id: int
