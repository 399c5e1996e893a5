"""Every command and option explains itself; --version answers."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Iterator
from importlib import metadata

from app.cli import build_parser
from tests.js.api_server import CREATORAUDIT

Command = tuple[str, argparse.ArgumentParser, str | None]


def commands(parser: argparse.ArgumentParser, path: str = "creatoraudit") -> Iterator[Command]:
    """(command path, its parser, the help its parent lists for it), depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", sub, listed.get(name)
                yield from commands(sub, f"{path} {name}")


def test_every_command_and_option_has_help() -> None:
    missing = []
    walked = list(commands(build_parser()))
    assert len(walked) > 20
    for path, parser, listed in walked:
        if not listed:
            missing.append(path)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_worker_help_says_what_it_does() -> None:
    done = subprocess.run(
        [str(CREATORAUDIT), "worker", "--help"], capture_output=True, text=True, check=True
    )
    assert "arq worker on CREATORAUDIT_REDIS_URL" in done.stdout
    assert "--check" in done.stdout


def test_serve_help_documents_host_and_port() -> None:
    done = subprocess.run(
        [str(CREATORAUDIT), "serve", "--help"], capture_output=True, text=True, check=True
    )
    assert "--host HOST  address to listen on" in done.stdout
    assert "--port PORT  port (default: CREATORAUDIT_PORT, else 8000)" in done.stdout


def test_version() -> None:
    done = subprocess.run(
        [str(CREATORAUDIT), "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"creatoraudit {metadata.version('creatoraudit')}\n"
