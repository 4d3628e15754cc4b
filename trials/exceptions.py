from django.utils.translation import gettext as _


class ConflictError(Exception):
    """Someone else changed the application first, or the step is not possible in its
    current state; the user should reload (HTTP 409 in the API)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Someone else changed this application. Reload and try again.")
        )
