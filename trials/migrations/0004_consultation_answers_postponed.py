from django.db import migrations


def postpone_answers(apps, schema_editor):
    """Answers registered before access postponement existed: release them only with the
    decision, as new ones are."""
    Consultation = apps.get_model("trials", "Consultation")
    JournalEntry = apps.get_model("casework", "JournalEntry")
    answers = Consultation.objects.exclude(answer_entry=None).values("answer_entry")
    JournalEntry.objects.filter(pk__in=answers).update(access_postponed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_journalentry_access_postponed"),
        ("trials", "0003_public_search"),
    ]

    operations = [migrations.RunPython(postpone_answers, migrations.RunPython.noop)]
