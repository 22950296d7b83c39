"""A text index for the quick search of concerns (ConcernQuerySet.search).

PostgreSQL: pg_trgm and a GIN trigram index on UPPER(title), the very expression Django's
``icontains`` compares, so the planner can serve ``title__icontains`` from it.
SQLite: an FTS5 table with the trigram tokenizer over the concern table (external content:
it stores only the index, not a second copy of the titles), kept in step by triggers.

Caution for later migrations on SQLite: Django alters a table there by building a new one
and dropping the old, which drops these triggers with it. A migration that alters the
concern table must run ``SQLITE_TRIGGERS`` again (tests/test_search.py fails otherwise).
"""

from django.db import migrations

SQLITE_TABLE = """
CREATE VIRTUAL TABLE riskreg_concern_search USING fts5(
    title, content='riskreg_concern', content_rowid='id', tokenize='trigram'
)
"""
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS riskreg_concern_search_insert",
    "DROP TRIGGER IF EXISTS riskreg_concern_search_delete",
    "DROP TRIGGER IF EXISTS riskreg_concern_search_update",
    """CREATE TRIGGER riskreg_concern_search_insert AFTER INSERT ON riskreg_concern BEGIN
        INSERT INTO riskreg_concern_search (rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER riskreg_concern_search_delete AFTER DELETE ON riskreg_concern BEGIN
        INSERT INTO riskreg_concern_search (riskreg_concern_search, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER riskreg_concern_search_update AFTER UPDATE OF title ON riskreg_concern BEGIN
        INSERT INTO riskreg_concern_search (riskreg_concern_search, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO riskreg_concern_search (rowid, title) VALUES (new.id, new.title);
    END""",
    # Index the rows that are already there.
    "INSERT INTO riskreg_concern_search (riskreg_concern_search) VALUES ('rebuild')",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS concern_title_trigram ON riskreg_concern USING gin (UPPER(title::text) gin_trgm_ops)",
    # Statistics for the new expression: without them the planner guessed 100 matches for a word
    # in 50,000 titles and chose nested loops that took seconds (make bench).
    "ANALYZE riskreg_concern",
]


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": [SQLITE_TABLE, *SQLITE_TRIGGERS], "postgresql": POSTGRESQL}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_TRIGGERS[:3]:
            schema_editor.execute(sql)
        schema_editor.execute("DROP TABLE IF EXISTS riskreg_concern_search")
    elif vendor == "postgresql":
        # The extension stays: other objects may use it.
        schema_editor.execute("DROP INDEX IF EXISTS concern_title_trigram")


class Migration(migrations.Migration):
    dependencies = [("riskreg", "0002_roles")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
