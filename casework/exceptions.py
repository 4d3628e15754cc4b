from django.utils.translation import gettext as _


class AlreadyDecided(Exception):
    """Someone else decided the access request first; the user should reload."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This access request has already been decided."))
