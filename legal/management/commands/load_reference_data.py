from django.core.management.base import BaseCommand

from legal.services import DATA_DIR, reference_data_load


class Command(BaseCommand):
    help = (
        "Load counties, municipalities, ministries, acts, their sections and the "
        "forsøksloven § 4 limits. Safe to run again: unchanged rows are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Folder with the CSV files.")

    def handle(self, *args, data_dir, **options):
        from pathlib import Path

        results = reference_data_load(data_dir=Path(data_dir), progress=self.stdout.write)
        created = sum(r.created for r in results)
        updated = sum(r.updated for r in results)
        unchanged = sum(r.unchanged for r in results)
        self.stdout.write(
            self.style.SUCCESS(
                f"Referansedata lastet: {created} opprettet, {updated} oppdatert, "
                f"{unchanged} uendret."
            )
        )
