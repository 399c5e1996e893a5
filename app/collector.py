"""Tuning CPython's cyclic garbage collector for a long-running API process."""

from __future__ import annotations

import gc

from app.settings import CollectorSettings


def tune_collector(settings: CollectorSettings) -> None:
    """Freeze what start-up left alive and space out young collections, as configured."""
    if settings.freeze:
        gc.collect()
        gc.freeze()
    if settings.young_threshold:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(settings.young_threshold, older, oldest)
