from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_persisted_documents_rate_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organization',
            name='data_version',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]
