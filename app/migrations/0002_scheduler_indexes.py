from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['next_scrape_at']),
        ),
        ops.AddIndex(
            model_name='Video',
            index=Index(fields=['is_individual', 'next_scrape_at']),
        ),
    ]
