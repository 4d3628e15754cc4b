"""Faults an operator meets: the mail server refusing, a worker killed in the middle of a
task, the document storage failing, the database connection dropped. Each test failed while
mail was sent inline after the commit and uploads were saved unguarded."""

import datetime
import os
import signal
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from casework.choices import MailStatus
from casework.models import AuditEvent, OutgoingMail
from casework.services import mail_enqueue
from tests.files import pdf_bytes, upload
from tests.tasks.smtp import SmtpServer
from trials import services
from trials.choices import ApplicationStatus, AttachmentKind
from trials.models import Application, Attachment

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker runs in another process, which cannot open the in-memory SQLite "
    "test database; runs on PostgreSQL (CI runs the suite on both)",
)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        yield server


# --- the mail server refuses, then accepts ---------------------------------------------------


def test_a_refusing_mail_server_delays_the_mail_but_not_the_submission(
    client, applicant, make_ready, smtp, run_tasks, settings, django_capture_on_commit_callbacks
):
    settings.TASKS_RETRY_BASE_SECONDS = 30
    smtp.handler.refuse = 1
    application = make_ready()
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("trials:application_step", args=[application.pk, "oppsummering"]),
            {"action": "submit"},
        )
    assert response.status_code == 302
    assert response.url == reverse("trials:application_receipt", args=[application.pk])
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED

    run_tasks()  # the server answers 451
    assert smtp.received == []
    queued = OutgoingMail.objects.get()
    assert queued.status == MailStatus.QUEUED and "451" in queued.last_error

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=31), tick=False):
        run_tasks()  # the retry: accepted
        run_tasks()  # nothing left to send
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["kontakt@3405.kommune.example"]
    assert application.reference.encode() in envelope.content
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT and queued.attempts == 2


# --- the worker is killed in the middle of a task --------------------------------------------


def _worker(port: int, *extra: str) -> subprocess.Popen:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST'] or ''}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "true",
        "SECRET_KEY": "worker-test",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "TASKS_STALE_AFTER_SECONDS": "2",
        "TASKS_RETRY_BASE_SECONDS": "0",
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2", *extra],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_leaves_the_task_to_the_next_worker_and_one_mail(smtp):
    smtp.handler.hold = True
    mail = mail_enqueue(
        key="test/worker-killed",
        renderer="tests.tasks.mails.plain",
        params={"to": "mottakar@example.org", "subject": "Éin gong"},
    )
    first = _worker(smtp.port)
    try:
        assert smtp.handler.holding.wait(60), "the worker never reached the mail server"
        first.send_signal(signal.SIGKILL)  # mid-task: the mail handed over, not yet accepted
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    smtp.handler.release.set()
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.RUNNING  # left behind by the dead worker
    assert smtp.received == []

    time.sleep(2.5)  # longer than TASKS_STALE_AFTER_SECONDS
    second = _worker(smtp.port, "--batch")
    output = second.communicate(timeout=60)[0].decode()
    assert second.returncode == 0, output
    assert len(smtp.received) == 1, output
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert len(task.worker_ids) == 2  # claimed by the killed worker, then by the next one
    second = _worker(smtp.port, "--batch")  # and once more: nothing is sent twice
    second.communicate(timeout=60)
    assert len(smtp.received) == 1


# --- the document storage fails -------------------------------------------------------------


def test_a_failing_document_storage_is_a_clear_error_that_keeps_the_form(
    client, applicant, make_draft, monkeypatch, media_root
):
    application = make_draft()

    def refuse(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("trials:application_step", args=[application.pk, "vedlegg"]),
        {
            "file": upload("Vedtak.pdf", pdf_bytes(), "application/pdf"),
            "kind": AttachmentKind.DRAFT_REGULATION,
            "description": "Utkast til forskrift, versjon 3",
            "action": "upload",
        },
    )
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "The document could not be stored just now, so nothing was saved." in html
    assert 'value="Utkast til forskrift, versjon 3"' in html
    assert f'value="{AttachmentKind.DRAFT_REGULATION}" selected' in html
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="attachment.added").exists()
    assert not any(path.is_file() for path in Path(media_root).rglob("*"))


def test_an_answer_whose_second_file_cannot_be_stored_leaves_no_first_file(
    applicant, case_officer, make_ready, monkeypatch, media_root
):
    application = services.application_submit(actor=applicant, application=make_ready())
    services.application_register(actor=case_officer, application=application)
    services.application_request_information(
        actor=case_officer, application=application, message="Send budsjettet."
    )
    before = {path for path in Path(media_root).rglob("*") if path.is_file()}
    original = FileSystemStorage._save
    calls = []

    def second_fails(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        return original(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", second_fails)
    with pytest.raises(ValidationError) as refused:
        services.application_answer(
            actor=applicant,
            application=application,
            text="Her er det.",
            files=[upload("a.pdf", pdf_bytes("A")), upload("b.pdf", pdf_bytes("B"))],
        )
    assert "could not be stored" in str(refused.value)
    assert len(calls) == 2
    assert {path for path in Path(media_root).rglob("*") if path.is_file()} == before
    assert not Attachment.objects.filter(kind=AttachmentKind.ANSWER).exists()


# --- the database connection drops between two requests -------------------------------------


def _get(path: str) -> int:
    """One request through the WSGI handler in this thread, as gunicorn runs it: with the
    request_started/finished signals that manage persistent connections (the test client
    switches those off)."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    status = []
    response = WSGIHandler()(environ, lambda code, headers, exc_info=None: status.append(code))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="drops the server's connection with pg_terminate_backend; SQLite has no server",
)
@pytest.mark.django_db(transaction=True)
def test_the_request_after_a_dropped_database_connection_works(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)  # as in production
    connection.close()
    assert _get("/api/v1/legal/acts/") == 200
    pid = connection.connection.info.backend_pid  # kept open for the next request
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
        autocommit=True,
    ) as admin:  # the server (a restart, a proxy's idle timeout) drops the connection
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert _get("/api/v1/legal/acts/") == 200
