"""On PostgreSQL, refuse TRUNCATE of the audit table too (UPDATE and DELETE are refused since
0002): a statement-level trigger, since TRUNCATE fires no row triggers.

Only a database whose owner deliberately sets ``frikommune.audit_truncate = 'allow'`` (the
test databases, which are emptied between tests; never production) may empty it.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION casework_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('frikommune.audit_truncate', true) IS DISTINCT FROM 'allow' THEN
        RAISE EXCEPTION 'casework_auditevent is append-only: TRUNCATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS casework_auditevent_no_truncate ON casework_auditevent;
CREATE TRIGGER casework_auditevent_no_truncate
    BEFORE TRUNCATE ON casework_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION casework_auditevent_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS casework_auditevent_no_truncate ON casework_auditevent;
DROP FUNCTION IF EXISTS casework_auditevent_refuse_truncate();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0010_organisation_login_role_not_administrator")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
