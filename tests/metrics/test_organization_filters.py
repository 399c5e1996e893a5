"""Every statement on a hot table names the organization of the rows it touches.

Hot tables: metric_day, metric_scope, video_snapshot, account_snapshot. Distributed by
organization (Citus) or partitioned, a statement can be routed to one shard only if it
constrains organization_id of each hot table it names. Representative workloads run under
`count_statements()` (Tortoise's SQL log): two refreshes of a profile tracked by two
organizations, an import, a dashboard and an organization query over HTTP through the app,
moving a video out of and back into an account's feed, forgetting a video, untracking an account.

What `unconstrained` checks, per reference of a hot table in a statement (quotes removed):
- `INSERT INTO t (...)`: the column list has organization_id, and an `ON CONFLICT (...)` target,
  if any, starts with it;
- `FROM t [alias]`, `JOIN t [alias]`, `UPDATE t`: `alias.organization_id` appears, or, for a
  table without an alias, an unqualified `organization_id` appears after the reference.
It checks that the column is named for each table, not the value compared with it (a join of
`x.organization_id = s.org` counts). Deletes by foreign-key cascade send no statement.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from app import models
from app.bench.dashboard_documents import DASHBOARD, ORG_METRICS
from app.bench.statements import count_statements
from app.importer import import_file
from app.metrics import store
from app.services.accounts import untrack_account
from app.services.refresh_write import write_refresh
from app.services.tenancy import Tenant
from tests.conftest import Org
from tests.services.test_importer import FIXTURES
from tests.services.test_refresh_write import answer, tracked

HOT = ("metric_day", "metric_scope", "video_snapshot", "account_snapshot")
_NOT_ALIAS = {"WHERE", "ON", "SET", "LEFT", "JOIN", "INNER", "GROUP", "ORDER", "USING", "LIMIT"}
_REFERENCE = re.compile(
    rf"\b(FROM|JOIN|UPDATE|INTO)\s+({'|'.join(HOT)})\b(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE
)


def unconstrained(statement: str) -> list[str]:
    """The hot-table references of a statement that do not name organization_id (see above)."""
    text = " ".join(statement.replace('"', "").split())
    missing = []
    for match in _REFERENCE.finditer(text):
        verb, table, alias = match.group(1).upper(), match.group(2), match.group(3)
        if verb == "INTO":
            columns = text[match.end(2) :].lstrip()
            listed = columns.startswith("(") and "organization_id" in columns.split(")")[0]
            conflict = re.search(r"ON CONFLICT \(\s*(\w+)", text, re.IGNORECASE)
            if not listed or (conflict is not None and conflict.group(1) != "organization_id"):
                missing.append(f"INSERT INTO {table}")
            continue
        if alias is None or alias.upper() in _NOT_ALIAS:
            alias = table
        qualified = re.search(rf"\b{alias}\.organization_id\b", text)
        bare = alias == table and re.search(r"(?<![\w.])organization_id\b", text[match.end() :])
        if not (qualified or bare):
            missing.append(f"{verb} {table} {alias}")
    return missing


def test_the_check_refuses_statements_without_the_organization() -> None:
    assert unconstrained("SELECT day FROM metric_day WHERE scope_id = 1") == [
        "FROM metric_day metric_day"
    ]
    assert unconstrained(
        "SELECT m.day FROM metric_day m JOIN account a "
        "ON a.organization_id = 1 AND m.scope_id = a.id"
    ) == ["FROM metric_day m"]
    assert unconstrained("INSERT INTO metric_scope (scope_kind) VALUES (1)") == [
        "INSERT INTO metric_scope"
    ]
    assert unconstrained(
        "INSERT INTO video_snapshot (organization_id, video_id) SELECT 1, 2 "
        "ON CONFLICT (video_id, day) DO NOTHING"
    ) == ["INSERT INTO video_snapshot"]
    assert not unconstrained("DELETE FROM metric_day WHERE organization_id = 1 AND scope_id = 2")


async def test_every_statement_on_a_hot_table_names_its_organization(
    make_org: Callable[[], Awaitable[Org]],
) -> None:
    orgs = [await make_org(), await make_org()]
    handle = f"routed.{orgs[0].id}"
    accounts = await tracked(orgs, handle)
    with count_statements() as statements:
        await write_refresh(accounts, answer(handle, 4))
        again = await models.Account.filter(id__in=[a.id for a in accounts]).select_related(
            "organization"
        )
        await write_refresh(list(again), answer(handle, 4, hours=25))
        await import_file(orgs[0].id, FIXTURES / "example.csv")
        for document, variables in (
            (DASHBOARD, None),
            (ORG_METRICS, {"window": {"preset": "D30"}}),
        ):
            result = await orgs[0].gql(document, variables)
            assert not result.errors, result.errors
        mine = accounts[0] if accounts[0].organization_id == orgs[0].id else accounts[1]
        videos = await models.Video.filter(account_id=mine.id).order_by("id")
        await store.set_video_account(videos[0].id, None)
        await store.set_video_account(videos[0].id, mine.id)
        await store.forget_video(videos[1].id)
        outcome = await untrack_account(Tenant(mine.organization_id), mine.id)
        assert outcome.value == mine.id
    hot = [s for s in statements if any(table in s for table in HOT)]
    for table in HOT:  # the workloads really read and write every hot table
        assert any(table in s for s in hot), table
    offending = {s: unconstrained(s) for s in hot if unconstrained(s)}
    assert not offending, offending
