"""Historical import (backfill): CSV or NDJSON snapshots from another tool (SPEC §10).

`creatoraudit import --org ORG [--format csv|ndjson] [--errors ERRORS] FILE`; examples in
`tests/fixtures/import/`. One row per entity and date:
`platform` (instagram | tiktok, any case), `kind` (account | video), `handle` (the account; for a
video, its author), `video_id` (the platform's numeric id, as a string), `published_at` (videos,
ISO 8601; no offset means UTC; empty = unknown), `date` (YYYY-MM-DD, not in the future), and any
of `followers following posts` (accounts) or `views plays likes comments shares saves` (videos).

Decisions (also in the README):
- Counts: empty (CSV), null or absent = unknown (never 0). Integers from 0 to `MAX_COUNT`
  (10^12, `app.counts`) only. In CSV `120.0` is read as 120; `120.5`, `-1` or `1e3` make the row
  bad. In NDJSON a count is a JSON number without a fraction (JSON Schema's integer: `120` or
  `120.0`); a string (`"120"`, `""`), a boolean or `120.5` makes the row bad. Counts that do not
  apply to the row's kind, TikTok `plays`/`saves`, and unknown columns are ignored unvalidated.
- A bad row is skipped as a whole and reported with its 1-based physical line (a CSV header is
  line 1; a quoted value spanning lines counts from the line the record starts on) and every
  reason found. CSV records with more or fewer fields than the header are bad.
- Every observation is recorded at 00:00:00 UTC of its date, through the same store functions as
  refreshes: a real refresh later that day wins, and re-importing the same file changes nothing.
- Two rows for one entity and date: the last one in the file wins, silently. A video's author is
  taken from its last row and its publish time from its last non-empty `published_at`.
- Accounts are created only by `account` rows, exactly as `trackAccount` creates them (due for a
  refresh at once; the organization's individual videos by that author are adopted). A video is
  an account video when its author is an account of the organization (existing or declared
  anywhere in the file), otherwise an individual video. Existing videos keep their roles, gain
  an author when they had none (and with it the account role when that author is an account of
  the organization), and take the file's publish time when it differs.
- Bad rows do not stop the import (exit code 1); usage errors import nothing (exit code 2).
  Observations are written in batches, each in one transaction; a batch that cannot be written
  stops the import (`ImportFailed`, exit code 3) and leaves nothing of itself behind. An
  interrupted or stopped import can be run again: every step is idempotent.
"""

from app.importer.report import (
    BAD_ROWS_KEPT,
    ImportFailed,
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
    "ImportFailed",
    "ImportFormat",
    "ImportReport",
    "ImportUsageError",
    "Progress",
    "TerminalProgress",
    "format_summary",
    "import_file",
]
