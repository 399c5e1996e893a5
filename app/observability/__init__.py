"""Prometheus metrics of the API and the workers, and the listener that serves them (README)."""
