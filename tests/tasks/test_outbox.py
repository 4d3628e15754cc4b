"""Mail and letters leave the request: queued with the change, sent once by the worker,
retried with backoff, and visible to administrators when every attempt failed."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casework.choices import EntryType, MailStatus
from casework.models import AuditEvent, OutgoingMail
from casework.selectors import audit_events_for, case_for
from casework.tasks import mail_deliver
from trials import services
from trials.models import Application

pytestmark = pytest.mark.django_db


def _submit(make_ready, applicant) -> Application:
    return services.application_submit(actor=applicant, application=make_ready())


def test_the_request_only_queues_the_mail_and_the_worker_sends_it(make_ready, applicant, run_tasks):
    application = _submit(make_ready, applicant)
    assert mail.outbox == []
    queued = OutgoingMail.objects.get()
    assert queued.status == MailStatus.QUEUED and queued.target == application
    assert run_tasks() == 1
    [message] = mail.outbox
    assert application.reference in message.subject
    assert message.extra_headers["Message-ID"] == queued.message_id
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT and queued.sent_at is not None
    sent = audit_events_for(application).get(action="mail.sent")
    assert sent.data["subject"] == message.subject and sent.data["recipients"] == 1


def test_a_rolled_back_change_sends_nothing(make_ready, applicant, run_tasks):
    application = make_ready()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.application_submit(actor=applicant, application=application)
        raise RuntimeError("something after the submission failed")
    assert not OutgoingMail.objects.exists() and not DBTaskResult.objects.exists()
    assert run_tasks() == 0
    assert mail.outbox == []


def test_a_mail_task_run_twice_sends_one_mail(make_ready, applicant, run_tasks):
    _submit(make_ready, applicant)
    run_tasks()
    mail_deliver.enqueue(OutgoingMail.objects.get().pk)  # a duplicate delivery of the task
    assert run_tasks() == 1
    assert len(mail.outbox) == 1


def test_a_refused_mail_is_retried_with_backoff_and_sent_once(
    make_ready, applicant, run_tasks, refusing_mail, settings
):
    settings.TASKS_RETRY_BASE_SECONDS = 60
    refusing_mail(2)
    application = _submit(make_ready, applicant)
    start = timezone.now()
    run_tasks()
    assert mail.outbox == []
    queued = OutgoingMail.objects.get()
    assert queued.status == MailStatus.QUEUED and queued.attempts == 1
    assert "SMTPServerDisconnected" in queued.last_error
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert retry.run_after >= start + datetime.timedelta(seconds=60)
    assert run_tasks() == 0  # not due yet
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        run_tasks()  # refused again: the next wait doubles
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after >= start + datetime.timedelta(seconds=61 + 120)
    with time_machine.travel(start + datetime.timedelta(seconds=200), tick=False):
        run_tasks()
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT and queued.attempts == 3
    assert audit_events_for(application).filter(action="mail.sent").count() == 1


def test_after_the_last_attempt_the_failure_is_in_the_history_and_the_admin_retries(
    make_ready, applicant, run_tasks, refusing_mail, settings, client, superuser
):
    settings.TASKS_MAX_ATTEMPTS = 2
    settings.TASKS_RETRY_BASE_SECONDS = 0
    refusing_mail(2)
    application = _submit(make_ready, applicant)
    run_tasks(allow_failures=True)
    queued = OutgoingMail.objects.get()
    assert queued.status == MailStatus.FAILED and queued.attempts == 2
    failed = audit_events_for(application).get(action="mail.failed")
    assert "SMTPServerDisconnected" in failed.reason
    [task] = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert task.exception_class_path == "casework.tasks.MailNotSent"

    client.force_login(superuser)
    listing = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert listing.status_code == 200 and str(task.pk) in listing.content.decode()
    response = client.post(
        "/admin/django_tasks_database/dbtaskresult/",
        {"action": "run_again", "_selected_action": [str(task.pk)]},
    )
    assert response.status_code == 302
    run_tasks()
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT


def test_the_admin_sends_a_failed_mail_again(
    make_ready, applicant, run_tasks, refusing_mail, settings, client, superuser
):
    settings.TASKS_MAX_ATTEMPTS = 1
    refusing_mail(1)
    application = _submit(make_ready, applicant)
    run_tasks(allow_failures=True)
    queued = OutgoingMail.objects.get(status=MailStatus.FAILED)
    client.force_login(superuser)
    assert queued.key in client.get("/admin/casework/outgoingmail/?status=failed").content.decode()
    client.post(
        "/admin/casework/outgoingmail/",
        {"action": "send_again", "_selected_action": [str(queued.pk)]},
    )
    run_tasks()
    assert len(mail.outbox) == 1
    actions = list(audit_events_for(application).values_list("action", flat=True))
    assert actions[:3] == ["mail.sent", "mail.resent", "mail.failed"]
    assert AuditEvent.objects.get(action="mail.resent").actor == superuser


def test_the_receipt_letter_is_rendered_by_the_worker(
    make_ready, applicant, case_officer, run_tasks
):
    application = _submit(make_ready, applicant)
    services.application_register(actor=case_officer, application=application)
    letter = case_for(application).entries.get(entry_type=EntryType.OUTGOING).documents.get()
    assert not letter.file  # journaled now, its PDF comes from the worker
    run_tasks()
    letter.refresh_from_db()
    assert letter.file.read().startswith(b"%PDF")
    assert letter.title == "Kvittering for søknaden deres"


def test_a_letter_whose_storage_fails_is_retried(
    make_ready, applicant, case_officer, run_tasks, monkeypatch, settings
):
    settings.TASKS_RETRY_BASE_SECONDS = 0
    application = _submit(make_ready, applicant)
    services.application_register(actor=case_officer, application=application)
    from django.core.files.storage import FileSystemStorage

    original = FileSystemStorage._save
    failures = iter([OSError("disk full")])

    def flaky(self, name, content):
        for error in failures:
            raise error
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky)
    run_tasks()
    letter = case_for(application).entries.get(entry_type=EntryType.OUTGOING).documents.get()
    assert letter.file.read().startswith(b"%PDF")


def test_an_invitations_link_token_leaves_the_outbox_once_sent(superuser, run_tasks):
    from casework.services import invitation_create
    from tests.factories import municipality

    issued = invitation_create(
        actor=superuser,
        organisation=municipality("3405"),
        email="ny@lillehammer.kommune.example",
        role="applicant",
    )
    queued = OutgoingMail.objects.get()
    assert queued.params["token"] == issued.token  # needed until the mail is out
    run_tasks()
    [message] = mail.outbox
    assert issued.token in message.body
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT and queued.params == {}
