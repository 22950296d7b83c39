"""Trigram indexes on enterprise and site names for the concerns' quick search on PostgreSQL.

ConcernQuerySet.search looks each word up in the enterprise and site names too (the
``ANY(ARRAY(subquery))`` tests). Without an index each lookup read the whole table: at 20,000
enterprises and 50,000 sites, six such reads for a three-word search cost about 0.1 s on every
count and every page. On SQLite these tables are read as before (a few milliseconds each).
"""

from django.db import migrations

INDEXES = {
    "enterprise_name_trigram": "riskreg_enterprise",
    "site_name_trigram": "riskreg_site",
}


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES.items():
        # UPPER(name): the expression Django's icontains compares.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER(name::text) gin_trgm_ops)"
        )
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("riskreg", "0005_covering_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
