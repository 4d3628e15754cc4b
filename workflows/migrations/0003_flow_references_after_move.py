"""The flows moved into one package per process (workflows/case/, workflows/access/).

viewflow stores each process's flow class and each task's node as a dotted reference
relative to the app ("workflows/flows.ApplicationFlow.register"); rewrite the stored
references so running cases keep working after the move.
"""

from django.db import migrations

MOVES = [
    ("workflows/flows.", "workflows/case.flows."),
    ("workflows/access_flows.", "workflows/access.flows."),
]


def _rewrite(schema_editor, moves):
    with schema_editor.connection.cursor() as cursor:
        for old, new in moves:
            for table, column in (("viewflow_process", "flow_class"), ("viewflow_task", "flow_task")):
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s || SUBSTR({column}, %s) "  # noqa: S608
                    f"WHERE {column} LIKE %s",
                    [new, len(old) + 1, old + "%"],
                )


def forwards(apps, schema_editor):
    _rewrite(schema_editor, MOVES)


def backwards(apps, schema_editor):
    _rewrite(schema_editor, [(new, old) for old, new in MOVES])


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0002_access_requests"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
