"""Emails to applicants. The services queue them (``applicant_email_queue``); the mail task
renders them here and sends them."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from trials.models import Application


def applicant_recipients(application) -> list[str]:
    emails = [contact.email for contact in application.contacts.all() if contact.email]
    if not emails and application.created_by.email:
        emails = [application.created_by.email]
    return sorted(set(emails))


def applicant_email(
    application_id: int, template: str, extra: dict | None = None
) -> EmailMessage | None:
    """``trials/email/<template>.txt`` in the lead organisation's language, to the contacts
    (None when the application has no address to send it to)."""
    application = Application.objects.select_related("lead_organisation", "created_by").get(
        pk=application_id
    )
    recipients = applicant_recipients(application)
    if not recipients:
        return None
    with translation.override(application.lead_organisation.letter_language):
        context = {"application": application, "site_url": settings.SITE_URL, **(extra or {})}
        subject = render_to_string(
            f"trials/email/{template}_subject.txt", context, using="text"
        ).strip()
        body = render_to_string(f"trials/email/{template}.txt", context, using="text")
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
