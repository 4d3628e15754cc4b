"""Indexes for the public pages (/soknader/): full-text search and the ETag query.

The full-text index exists on PostgreSQL only (SQLite searches with LIKE). Its expression is
the one ``trials.public.ApplicationText`` renders, character for character, so that the
planner can use the index; tests/public/test_search.py checks that it does.
"""

from django.db import migrations

SEARCH_INDEX = "trials_application_public_fts"
SEARCH_EXPRESSION = (
    "to_tsvector('norwegian'::regconfig, COALESCE(title, '') || ' ' || "
    "COALESCE(summary, '') || ' ' || COALESCE(description, ''))"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON trials_application "
        f"USING GIN ({SEARCH_EXPRESSION})"
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0002_case_handling"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
        # Partial indexes (SQLite and PostgreSQL alike) for the newest-first list and for the
        # cheap "has anything public changed" query behind the pages' ETag.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS trials_application_public_submitted "
            "ON trials_application (submitted_at) WHERE submitted_at IS NOT NULL",
            "DROP INDEX IF EXISTS trials_application_public_submitted",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS trials_application_public_updated "
            "ON trials_application (updated_at) WHERE submitted_at IS NOT NULL",
            "DROP INDEX IF EXISTS trials_application_public_updated",
        ),
    ]
