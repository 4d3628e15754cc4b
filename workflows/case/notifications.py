"""Reminders the process sends when a deadline approaches."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from casework.choices import Role
from casework.models import Membership
from trials.notifications import send_applicant_email


def answer_reminder(application) -> None:
    send_applicant_email(application.pk, "answer_reminder")


def consultation_reminder(consultation) -> None:
    """Email the consultees of the consulted ministry."""
    recipients = sorted(
        set(
            Membership.objects.filter(
                organisation=consultation.ministry, role=Role.CONSULTEE
            ).values_list("user__email", flat=True)
        )
        - {""}
    )
    if not recipients:
        return
    with translation.override("nb"):
        context = {"consultation": consultation, "site_url": settings.SITE_URL}
        subject = render_to_string(
            "workflows/email/consultation_reminder_subject.txt", context, using="text"
        )
        body = render_to_string("workflows/email/consultation_reminder.txt", context, using="text")
    send_mail(subject.strip(), body, settings.DEFAULT_FROM_EMAIL, recipients)
