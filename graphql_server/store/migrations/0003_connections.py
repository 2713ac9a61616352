from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('inventory', '0002_registry')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Connection',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('server_id', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=253)),
                ('type', fields.CharField(default='', max_length=64)),
                ('sub_type', fields.CharField(default='', max_length=64)),
                ('url', fields.CharField(default='', max_length=2048)),
                ('status', fields.CharField(max_length=16)),
                ('identity', fields.CharField(null=True, max_length=512)),
                ('cluster_id', fields.CharField(null=True, max_length=64)),
                ('credential_id', fields.CharField(null=True, max_length=36)),
                ('metadata', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'connections', 'app': 'inventory', 'unique_together': (('server_id', 'identity'),), 'indexes': [Index(fields=['server_id', 'status']), Index(fields=['cluster_id']), Index(fields=['credential_id'])], 'pk_attr': 'id', 'table_description': 'Something this server instance can connect to: a cluster, a Prometheus, a Grafana.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConnectionEnvironment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection_id', fields.CharField(max_length=36)),
                ('environment_id', fields.CharField(max_length=36)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'connection_environments', 'app': 'inventory', 'unique_together': (('connection_id', 'environment_id'),), 'indexes': [Index(fields=['environment_id'])], 'pk_attr': 'id', 'table_description': 'Membership of a connection in an environment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Credential',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('name', fields.CharField(max_length=253)),
                ('kind', fields.CharField(max_length=32)),
                ('type', fields.CharField(max_length=32)),
                ('sealed', fields.TextField(unique=False)),
                ('public', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('fields_set', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'credentials', 'app': 'inventory', 'pk_attr': 'id', 'table_description': 'A named secret for one kind of connection, sealed (ciphertext only).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Environment',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('name', fields.CharField(unique=True, max_length=253)),
                ('description', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'environments', 'app': 'inventory', 'pk_attr': 'id', 'table_description': 'A named group of connections, such as staging or production.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventLogEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('severity', fields.CharField(max_length=16)),
                ('actor', fields.CharField(max_length=128)),
                ('category', fields.CharField(max_length=64)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.CharField(max_length=64)),
                ('subject_name', fields.CharField(default='', max_length=253)),
                ('message', fields.TextField(unique=False)),
                ('server_id', fields.CharField(default='', max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'event_log', 'app': 'inventory', 'indexes': [Index(fields=['at']), Index(fields=['subject_type', 'subject_id']), Index(fields=['category'])], 'pk_attr': 'id', 'table_description': 'One entry of the notification centre: what happened, to what, by whom.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServerInstance',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('hostname', fields.CharField(default='', max_length=253)),
                ('version', fields.CharField(default='', max_length=64)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'server_instances', 'app': 'inventory', 'pk_attr': 'id', 'table_description': 'A server process identity (its server id), which owns its own connections.'},
            bases=['Model'],
        ),
    ]
