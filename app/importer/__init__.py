"""Historical import (backfill): CSV or NDJSON snapshots from another tool (SPEC §10).

The format is documented in the README; `tests/fixtures/import/` holds examples.
"""

from app.importer.report import (
    BAD_ROWS_KEPT,
    ImportReport,
    Progress,
    TerminalProgress,
    format_summary,
)
from app.importer.rows import ImportFormat, ImportUsageError
from app.importer.runner import DEFAULT_BATCH_SIZE, import_file

__all__ = [
    "BAD_ROWS_KEPT",
    "DEFAULT_BATCH_SIZE",
    "ImportFormat",
    "ImportReport",
    "ImportUsageError",
    "Progress",
    "TerminalProgress",
    "format_summary",
    "import_file",
]
