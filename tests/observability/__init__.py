"""Prometheus metrics: scraped over HTTP from real `serve` and `worker` processes."""
