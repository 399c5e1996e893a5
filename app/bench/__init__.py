"""Benchmarks: a realistic dataset in PostgreSQL and the measurements the issues ask for."""
