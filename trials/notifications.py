"""Emails to applicants. The services queue them (``applicant_email_queue``); the mail task
renders them here and sends them."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from casework.selectors import case_for
from trials.journal import case_letter_language
from trials.models import Application


def mail_language(application) -> str:
    """Mails follow the applicant's written form: its recorded one, else the form of the last
    letter the ministry sent it in the case (the officer's choice), else bokmål."""
    organisation = application.lead_organisation
    return (
        organisation.letter_language
        or case_letter_language(case_for(application), organisation)
        or "nb"
    )


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
    with translation.override(mail_language(application)):
        context = {"application": application, "site_url": settings.SITE_URL, **(extra or {})}
        subject = render_to_string(
            f"trials/email/{template}_subject.txt", context, using="text"
        ).strip()
        body = render_to_string(f"trials/email/{template}.txt", context, using="text")
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def trial_email(
    trial_id: int, template: str, extra: dict | None = None, officer: bool = False
) -> EmailMessage | None:
    """Mail about a trial: to the municipality's contacts, or (``officer``) to the case
    officer following the trial up. Rendered from ``trials/email/<template>.txt``."""
    from trials.models import Trial

    trial = Trial.objects.select_related(
        "application__lead_organisation", "application__created_by", "officer"
    ).get(pk=trial_id)
    application = trial.application
    if officer:
        recipients = [trial.officer.email] if trial.officer and trial.officer.email else []
        language = "nb"
    else:
        recipients = applicant_recipients(application)
        language = mail_language(application)
    if not recipients:
        return None
    with translation.override(language):
        context = {
            "trial": trial,
            "application": application,
            "officer": officer,
            "site_url": settings.SITE_URL,
            **(extra or {}),
        }
        subject = render_to_string(
            f"trials/email/{template}_subject.txt", context, using="text"
        ).strip()
        body = render_to_string(f"trials/email/{template}.txt", context, using="text")
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
