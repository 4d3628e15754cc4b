from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from casework.models import Organisation
from workflows.demo.seed import (
    DEMO_PASSWORD,
    seed_access_requests,
    seed_applications,
    seed_language_forms,
    seed_trials,
    seed_users,
)


class Command(BaseCommand):
    help = "Create demo users for every role and demo applications (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        if not Organisation.objects.exists():
            call_command("load_reference_data", stdout=self.stdout)
        self.stdout.write(f"Demobrukere (passord: {DEMO_PASSWORD}):")
        seed_users(progress=self.stdout.write)
        self.stdout.write("Målform:")
        seed_language_forms(progress=self.stdout.write)
        self.stdout.write("Søknader:")
        seed_applications(progress=self.stdout.write)
        self.stdout.write("Forsøk:")
        seed_trials(progress=self.stdout.write)
        self.stdout.write("Innsynskrav:")
        seed_access_requests(progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demodata klare."))
