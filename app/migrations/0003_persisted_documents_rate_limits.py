from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_scheduler_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document_id', fields.CharField(unique=True, max_length=200)),
                ('sha256', fields.CharField(db_index=True, max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('operation_name', fields.CharField(null=True, max_length=200)),
                ('source', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trusted_document', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One operation document a first-party client may send by id instead of by text.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Organization',
            name='rate_limit_ceiling',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Organization',
            name='rate_limit_points',
            field=fields.IntField(null=True),
        ),
    ]
