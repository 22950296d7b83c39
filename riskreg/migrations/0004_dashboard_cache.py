"""The cache table of settings.CACHES, shared by every worker (see riskreg/dashboard.py).

A migration rather than a separate ``createcachetable`` step, so that every way of setting up a
database (make run, make serve, a deploy, the tests) has it."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    for cache in settings.CACHES.values():
        if cache["BACKEND"].endswith("DatabaseCache"):
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(cache['LOCATION'])}")


class Migration(migrations.Migration):
    dependencies = [("riskreg", "0003_concern_search")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
