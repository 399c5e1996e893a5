"""Trusted documents: reading client manifests, storing them, and finding them by id or hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app import models

APOLLO_FORMAT = "apollo-persisted-query-manifest"
MAX_ID_LENGTH = 200


class ManifestError(ValueError):
    """A manifest that is neither Apollo's persisted query list nor Relay's id → text map."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One operation of a manifest."""

    document_id: str
    body: str
    operation_name: str | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the body, as Apollo's APQ hash of the same text."""
        return sha256_hex(self.body)


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What `load` did: ids added, ids already stored with the same body, ids refused."""

    added: list[str]
    unchanged: list[str]
    conflicts: list[str]


def sha256_hex(text: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def parse_manifest(data: Any) -> list[ManifestEntry]:
    """Entries of an Apollo persisted query list or of a Relay `{id: text}` map."""
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        return _apollo_entries(data)
    if isinstance(data, dict) and data and all(isinstance(v, str) for v in data.values()):
        return [_entry(str(key), text, None) for key, text in data.items()]
    raise ManifestError(
        "expected Apollo's persisted query list "
        f'({{"format": "{APOLLO_FORMAT}", "version": 1, "operations": [...]}}) '
        'or a Relay map ({"<id>": "<document text>", ...})'
    )


def _apollo_entries(data: dict[str, Any]) -> list[ManifestEntry]:
    if data.get("version") != 1:
        raise ManifestError(f"unsupported persisted query list version {data.get('version')!r}")
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError("`operations` must be a list")
    entries = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManifestError(f"operations[{index}] must be an object")
        name = operation.get("name")
        entries.append(
            _entry(
                operation.get("id"),
                operation.get("body"),
                name if isinstance(name, str) else None,
                where=f"operations[{index}]",
            )
        )
    return entries


def _entry(
    document_id: Any, body: Any, name: str | None, where: str | None = None
) -> ManifestEntry:
    place = where or f"id {document_id!r}"
    if not isinstance(document_id, str) or not 1 <= len(document_id) <= MAX_ID_LENGTH:
        raise ManifestError(f"{place}: the id must be a string of 1–{MAX_ID_LENGTH} characters")
    if not isinstance(body, str) or not body.strip():
        raise ManifestError(f"{place}: the document text is missing")
    return ManifestEntry(document_id, body, name)


async def load(entries: Sequence[ManifestEntry], source: str | None) -> LoadReport:
    """Store the entries, all or nothing: an id already stored (or listed twice) with another
    text is a conflict, and then nothing is written."""
    added: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    async with in_transaction():
        stored = {
            row.document_id: row.sha256
            for row in await models.TrustedDocument.filter(
                document_id__in=[e.document_id for e in entries]
            )
        }
        fresh: dict[str, ManifestEntry] = {}
        for entry in entries:
            known = stored.get(entry.document_id) or (
                fresh[entry.document_id].sha256 if entry.document_id in fresh else None
            )
            if known is None:
                fresh[entry.document_id] = entry
                added.append(entry.document_id)
            elif known == entry.sha256:
                unchanged.append(entry.document_id)
            else:
                conflicts.append(entry.document_id)
        if conflicts:
            return LoadReport([], unchanged, conflicts)
        await models.TrustedDocument.bulk_create(
            [
                models.TrustedDocument(
                    document_id=e.document_id,
                    sha256=e.sha256,
                    body=e.body,
                    operation_name=e.operation_name,
                    source=source,
                )
                for e in fresh.values()
            ]
        )
    return LoadReport(added, unchanged, conflicts)


async def listing(source: str | None = None) -> list[models.TrustedDocument]:
    """Stored documents, oldest first, optionally of one source."""
    query = models.TrustedDocument.all().order_by("id")
    if source is not None:
        query = query.filter(source=source)
    return await query


async def remove(document_ids: Iterable[str] = (), source: str | None = None) -> int:
    """Delete documents by id or by source; returns how many were deleted."""
    ids = list(document_ids)
    deleted = 0
    if ids:
        deleted += await models.TrustedDocument.filter(document_id__in=ids).delete()
    if source is not None:
        deleted += await models.TrustedDocument.filter(source=source).delete()
    return deleted


async def find_by_id(document_id: str) -> models.TrustedDocument | None:
    """The document a client names by id."""
    return await models.TrustedDocument.filter(document_id=document_id).first()


async def find_by_sha256(sha256: str) -> models.TrustedDocument | None:
    """A stored document whose text has this SHA-256 (the APQ hash)."""
    return await models.TrustedDocument.filter(sha256=sha256).first()
