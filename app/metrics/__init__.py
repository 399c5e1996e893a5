"""The metrics engine (SPEC §4): attribution of observations to dates, storage, windows."""
