"""Secrets at rest: encryption of tokens and short-lived secrets."""
