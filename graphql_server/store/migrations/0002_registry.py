from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('inventory', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportedModel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=253)),
                ('version', fields.CharField(max_length=64)),
                ('document', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('origin', fields.CharField(default='', max_length=253)),
                ('imported_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'imported_models', 'app': 'inventory', 'unique_together': (('name', 'version'),), 'pk_attr': 'id', 'table_description': 'A model definition imported by a user, kept as the document it came from.'},
            bases=['Model'],
        ),
    ]
