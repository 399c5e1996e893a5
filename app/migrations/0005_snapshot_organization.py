"""Every hot table leads its unique key with organization_id (ready to distribute by organization).

The snapshot tables gain organization_id, filled from their video or account: the column is
added with a temporary default (a NOT NULL column cannot be added to a table with rows without
one), backfilled, and the default dropped, so the final schema matches the models. The old
unique keys are dropped first and the new ones created last, after the backfill. The index
(organization_id, scope_kind) on metric_scope is now a prefix of its unique key, so it goes;
the snapshot tables get an index on their owner for the foreign-key cascades.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

# Correlated subqueries: the same statement on PostgreSQL and SQLite.
_BACKFILL = [
    "UPDATE video_snapshot SET organization_id = "
    "(SELECT v.organization_id FROM video v WHERE v.id = video_snapshot.video_id)",
    "UPDATE account_snapshot SET organization_id = "
    "(SELECT a.organization_id FROM account a WHERE a.id = account_snapshot.account_id)",
]



class DropUniqueKey(ops.RemoveConstraint):
    """RemoveConstraint that also works on SQLite tables made by 0001.

    There the key is an inline UNIQUE constraint (an automatic index DROP INDEX refuses), so
    the table is rebuilt, which is how SQLite alters constraints; the rebuilt table has no unique
    key or index at all (Tortoise's rebuild keeps none), and this migration adds the new key later.
    """

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._remake_table(model)
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0004_organization_data_version")]

    initial = False

    operations = [
        # Before the key: SQLite's rebuild of metric_scope drops the index with the table.
        ops.RemoveIndex(
            model_name="MetricScope", name=None, fields=["organization_id", "scope_kind"]
        ),
        DropUniqueKey(model_name="AccountSnapshot", name=None, fields=["account", "day"]),
        DropUniqueKey(model_name="VideoSnapshot", name=None, fields=["video", "day"]),
        DropUniqueKey(
            model_name="MetricDay", name=None, fields=["scope_kind", "scope_id", "day"]
        ),
        DropUniqueKey(model_name="MetricScope", name=None, fields=["scope_kind", "scope_id"]),
        ops.AddField(
            model_name="AccountSnapshot",
            name="organization_id",
            field=fields.IntField(db_default=0),
        ),
        ops.AddField(
            model_name="VideoSnapshot",
            name="organization_id",
            field=fields.IntField(db_default=0),
        ),
        ops.RunSQL(_BACKFILL, reverse_sql=[]),
        ops.AlterField(
            model_name="AccountSnapshot", name="organization_id", field=fields.IntField()
        ),
        ops.AlterField(model_name="VideoSnapshot", name="organization_id", field=fields.IntField()),
        ops.AddConstraint(
            model_name="AccountSnapshot",
            constraint=UniqueConstraint(fields=("organization_id", "account", "day"), name=None),
        ),
        ops.AddConstraint(
            model_name="VideoSnapshot",
            constraint=UniqueConstraint(fields=("organization_id", "video", "day"), name=None),
        ),
        ops.AddConstraint(
            model_name="MetricDay",
            constraint=UniqueConstraint(
                fields=("organization_id", "scope_kind", "scope_id", "day"), name=None
            ),
        ),
        ops.AddConstraint(
            model_name="MetricScope",
            constraint=UniqueConstraint(
                fields=("organization_id", "scope_kind", "scope_id"), name=None
            ),
        ),
        # Foreign-key cascades look snapshots up by owner alone (the keys lead with the organization).
        ops.AddIndex(model_name="AccountSnapshot", index=Index(fields=["account_id"])),
        ops.AddIndex(model_name="VideoSnapshot", index=Index(fields=["video_id"])),
    ]
