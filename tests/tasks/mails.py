"""A mail renderer for the worker tests (imported by the worker subprocess by its path)."""

from django.conf import settings
from django.core.mail import EmailMessage


def plain(to: str, subject: str) -> EmailMessage:
    return EmailMessage(subject, "Brødtekst.", settings.DEFAULT_FROM_EMAIL, [to])
