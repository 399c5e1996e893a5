"""The `creatoraudit documents` commands: load, list and remove trusted documents."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson

from app.graphql.prepared import prepare
from app.graphql.schema import schema
from app.services import trusted_documents
from app.services.trusted_documents import ManifestEntry, ManifestError
from app.settings import Settings


def _problems(entries: list[ManifestEntry], settings: Settings) -> list[str]:
    problems = []
    for entry in entries:
        prepared = prepare(entry.body, entry.sha256, schema._schema, settings.limits)
        reasons = [prepared.refusal.message] if prepared.refusal else []
        reasons += [error.message for error in prepared.errors]
        problems += [f"{entry.document_id}: {reason}" for reason in reasons]
    return problems


async def load_manifest(settings: Settings, file: str, source: str | None) -> int:
    """Validate every document of the manifest, then store them all (exit code)."""
    path = Path(file)
    try:
        raw = await asyncio.to_thread(path.read_bytes)
        entries = trusted_documents.parse_manifest(orjson.loads(raw))
    except (OSError, orjson.JSONDecodeError, ManifestError) as exc:
        print(f"error: {file}: {exc}", file=sys.stderr)
        return 2
    problems = _problems(entries, settings)
    if problems:
        print(f"error: {len(problems)} problem(s); nothing loaded:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 2
    report = await trusted_documents.load(entries, source or path.name)
    if report.conflicts:
        print(
            "error: these ids are already stored with another text; nothing loaded "
            "(remove them first):",
            file=sys.stderr,
        )
        print("\n".join(f"  {i}" for i in report.conflicts), file=sys.stderr)
        return 1
    print(f"{len(report.added)} document(s) added, {len(report.unchanged)} already stored")
    return 0


async def list_documents(source: str | None) -> int:
    """Print one line per trusted document."""
    for row in await trusted_documents.listing(source):
        name = row.operation_name or "-"
        print(f"{row.document_id}\t{name}\t{row.source or '-'}\t{row.created_at:%Y-%m-%d %H:%M}")
    return 0


async def remove_documents(ids: list[str], source: str | None) -> int:
    """Delete documents; exit code 2 when nothing was named."""
    if not ids and source is None:
        print("error: name document ids or --source", file=sys.stderr)
        return 2
    deleted = await trusted_documents.remove(ids, source)
    print(f"{deleted} document(s) removed")
    return 0
