"""Small helpers for the applicant portal's templates."""

from django import template
from django.utils.translation import pgettext_lazy

from trials.choices import ApplicationStatus, Stage

register = template.Library()

STATUS_CLASSES = {
    ApplicationStatus.DRAFT: "tag",
    ApplicationStatus.AWAITING_APPLICANT: "tag tag-warning",
    ApplicationStatus.APPROVED: "tag tag-success",
    ApplicationStatus.REJECTED: "tag tag-error",
    ApplicationStatus.WITHDRAWN: "tag",
}
PRELIMINARY_OUTCOMES = {
    ApplicationStatus.APPROVED: pgettext_lazy("application status", "Taken forward"),
    ApplicationStatus.REJECTED: pgettext_lazy("application status", "Not taken forward"),
}


@register.filter
def status_class(application) -> str:
    """The tag classes for an application's status."""
    return STATUS_CLASSES.get(application.status, "tag tag-info")


@register.filter
def status_text(application) -> str:
    """The status as applicants read it; a preliminary application is "taken forward"."""
    if application.stage == Stage.PRELIMINARY and application.status in PRELIMINARY_OUTCOMES:
        return PRELIMINARY_OUTCOMES[application.status]
    return application.get_status_display()
