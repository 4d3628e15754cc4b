"""Small helpers for the applicant portal's templates."""

from django import template

from trials.choices import ApplicationStatus
from trials.labels import status_label

register = template.Library()

STATUS_CLASSES = {
    ApplicationStatus.DRAFT: "tag",
    ApplicationStatus.AWAITING_APPLICANT: "tag tag-warning",
    ApplicationStatus.APPROVED: "tag tag-success",
    ApplicationStatus.REJECTED: "tag tag-error",
    ApplicationStatus.WITHDRAWN: "tag",
}


@register.filter
def status_class(application) -> str:
    """The tag classes for an application's status."""
    return STATUS_CLASSES.get(application.status, "tag tag-info")


@register.filter
def status_text(application) -> str:
    """The status in words (``trials.labels``); a preliminary application is "taken forward"."""
    return status_label(application)
