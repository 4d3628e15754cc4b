"""Small helpers for the applicant portal's templates."""

from django import template

from trials.choices import ApplicationStatus
from trials.labels import status_label

register = template.Library()

# Designsystemet's data-color of the ds-tag that shows an application's status.
STATUS_COLORS = {
    ApplicationStatus.DRAFT: "neutral",
    ApplicationStatus.AWAITING_APPLICANT: "warning",
    ApplicationStatus.APPROVED: "success",
    ApplicationStatus.REJECTED: "danger",
    ApplicationStatus.WITHDRAWN: "neutral",
}


@register.filter
def status_color(application) -> str:
    """The data-color of the ds-tag for an application's status (in handling: info)."""
    return STATUS_COLORS.get(application.status, "info")


@register.filter
def status_text(application) -> str:
    """The status in words (``trials.labels``); a preliminary application is "taken forward"."""
    return status_label(application)
