"""Reminders the process sends when a deadline approaches: queued by the timer's function
node in its transaction, rendered and sent by tasks."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from casework.background import enqueue
from trials.models import Consultation
from trials.services.applications import applicant_email_queue


def answer_reminder(application, *, event: int) -> None:
    """``event``: the id of the process task that fired, so a timer sends one reminder."""
    applicant_email_queue(application, "answer_reminder", reminder=event)


def consultation_reminder(consultation, *, event: int) -> None:
    """One mail to each consultee of the consulted ministry, fanned out by a task."""
    from workflows.case.tasks import consultation_reminder_fan_out

    enqueue(consultation_reminder_fan_out, consultation.pk, event)


def consultation_reminder_email(consultation_id: int, email: str) -> EmailMessage:
    consultation = Consultation.objects.select_related("application", "ministry").get(
        pk=consultation_id
    )
    with translation.override("nb"):
        context = {"consultation": consultation, "site_url": settings.SITE_URL}
        subject = render_to_string(
            "workflows/email/consultation_reminder_subject.txt", context, using="text"
        )
        body = render_to_string("workflows/email/consultation_reminder.txt", context, using="text")
    return EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])
