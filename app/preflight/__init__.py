"""Checks of what a process needs before it starts: settings, database, Redis, platforms, port.

`serve` and `worker` run the checks they depend on and stop with one line saying what to fix;
`creatoraudit doctor` runs them all and prints one line per check.
"""

from app.preflight.check import Check, StartupError

__all__ = ["Check", "StartupError"]
