"""Tasks of casework, run by the worker (``manage.py db_worker``), never in a request."""

import smtplib

from django.core.mail import EmailMessage
from django.utils.module_loading import import_string
from django_tasks import task

from casework import background, services
from casework.choices import MailStatus
from casework.models import OutgoingMail

# Failures worth another attempt later: the mail server refusing, unreachable or timing out.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)


class MailNotSent(Exception):
    """The last attempt failed too: the task ends failed, for an administrator to see."""


@task()
def mail_deliver(mail_id: int, attempt: int = 1) -> str:
    """Render and send one outbox mail, once: a mail already sent is not sent again."""
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is None:
        return "gone"
    if mail.status in (MailStatus.SENT, MailStatus.SKIPPED):
        return mail.status
    message: EmailMessage | None = None
    try:
        message = import_string(mail.renderer)(**mail.params)
        if message is None:
            services.mail_mark_skipped(mail=mail)
            return MailStatus.SKIPPED
        message.extra_headers["Message-ID"] = mail.message_id
        message.send()
    except TRANSIENT_MAIL_ERRORS as error:
        run_after = background.retry_later(mail_deliver, mail_id, attempt=attempt)
        subject = message.subject if message is not None else ""
        services.mail_mark_failed(mail=mail, error=error, final=run_after is None, subject=subject)
        if run_after is None:
            raise MailNotSent(f"{mail.key}: {error}") from error
        return f"retry at {run_after.isoformat()}"
    services.mail_mark_sent(mail=mail, subject=message.subject, recipients=message.recipients())
    return MailStatus.SENT
