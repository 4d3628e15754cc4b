"""Send each person who chose a daily digest the mails held back for them (cron, once a day)."""

from django.core.management.base import BaseCommand

from casework.notifications import send_digests


class Command(BaseCommand):
    help = "Send the daily digest of held-back work mails to those who chose it."

    def handle(self, *args, **options):
        sent = send_digests()
        self.stdout.write(f"{sent} digest(s) sent")
