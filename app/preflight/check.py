"""The result of one check, and the error a command stops with when a check fails."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """What one check found: `ok`, a short `detail`, and for a failure how to `fix` it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """`OK   database   postgres://…` or `FAIL redis      cannot connect …: fix: …`."""
        status = "OK  " if self.ok else "FAIL"
        text = f"{status} {self.name:<11} {self.detail}"
        if not self.ok and self.fix:
            text = f"{text} — {self.fix}"
        return text

    def raise_if_failed(self) -> None:
        """Stop a starting command with this check's one-line message."""
        if not self.ok:
            raise StartupError(self.message())

    def message(self) -> str:
        """`database: <what is wrong> — <what to do>`, for a single error line."""
        text = f"{self.name}: {self.detail}"
        return f"{text} — {self.fix}" if self.fix else text


class StartupError(Exception):
    """A command cannot start; the message is one line that says what to fix (exit code 1)."""
