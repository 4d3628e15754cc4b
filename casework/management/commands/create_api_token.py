"""Create an API key for an integration user: ``manage.py create_api_token <username>``."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.services import api_token_create


class Command(BaseCommand):
    help = "Create an API key for a user and print it. --rotate replaces an existing key."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the user's existing key."
        )

    def handle(self, *args, username: str, rotate: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is not active.")
        try:
            issued = api_token_create(actor=None, user=user, replace=rotate)
        except ValidationError as exc:
            raise CommandError(
                f"{username!r} already has an API key; use --rotate to replace it."
            ) from exc
        self.stdout.write(issued.key)
