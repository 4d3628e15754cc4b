"""On PostgreSQL, refuse UPDATE and DELETE on the audit table at the database level.

SQLite (the development default) relies on the model and queryset guards alone. TRUNCATE
stays allowed: it is what test databases and disaster recovery use, never application code.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION casework_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'casework_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS casework_auditevent_append_only ON casework_auditevent;
CREATE TRIGGER casework_auditevent_append_only
    BEFORE UPDATE OR DELETE ON casework_auditevent
    FOR EACH ROW EXECUTE FUNCTION casework_auditevent_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS casework_auditevent_append_only ON casework_auditevent;
DROP FUNCTION IF EXISTS casework_auditevent_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
