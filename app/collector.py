"""Tuning CPython's cyclic garbage collector for a long-running API process."""

from __future__ import annotations

import gc

from app.settings import CollectorSettings


def tune_collector(settings: CollectorSettings) -> None:
    """Freeze what start-up left alive and set the collection thresholds, as configured."""
    if settings.freeze:
        gc.collect()
        gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(
        settings.young_threshold or young,
        settings.middle_threshold or middle,
        settings.old_threshold or old,
    )
