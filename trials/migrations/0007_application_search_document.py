"""One search document per application, with a Norwegian full-text GIN index on PostgreSQL.

``trials.services.search`` keeps the document (the application's text, its applicants'
names, its provisions' headings and acts' titles); this migration fills it for existing
applications and replaces the index of ``0003_public_search`` (over the application's own
text only) with one over the document. ``trials.public.selectors.SearchDocument`` renders
the indexed expression character for character: change the two together.
"""

from django.db import migrations, models

SEARCH_INDEX = "trials_application_search_fts"
SEARCH_EXPRESSION = "to_tsvector('norwegian'::regconfig, COALESCE(search_document, ''))"


def fill_documents(apps, schema_editor):
    Application = apps.get_model("trials", "Application")
    for application in Application.objects.select_related("lead_organisation").prefetch_related(
        "co_applicants", "exemption_requests__provision__act"
    ):
        parts = [application.title, application.summary, application.description]
        for organisation in [application.lead_organisation, *application.co_applicants.all()]:
            parts += [organisation.name, organisation.name_nn, organisation.name_en]
        for exemption in sorted(
            application.exemption_requests.all(), key=lambda e: (e.order, e.pk)
        ):
            if exemption.provision_id:
                act = exemption.provision.act
                parts += [exemption.provision.heading, act.short_title, act.title]
            parts.append(exemption.citation_text)
        application.search_document = " ".join(
            part.strip() for part in parts if part and part.strip()
        ).lower()
        application.save(update_fields=["search_document"])


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS trials_application_public_fts")
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
        ("trials", "0006_trial_lifecycle"),
        ("legal", "0002_aliases_unicode"),
        ("casework", "0007_api_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="search_document",
            field=models.TextField(blank=True, editable=False, verbose_name="search document"),
        ),
        migrations.RunPython(fill_documents, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
        # The latest decisions (front page, feeds) without sorting every application.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS trials_application_public_decided "
            "ON trials_application (decided_at, id) WHERE decided_at IS NOT NULL",
            "DROP INDEX IF EXISTS trials_application_public_decided",
        ),
    ]
