"""The same tasks on a distributed backend: RQ with Redis (django-tasks-rq), switched by
settings alone (README, "A distributed backend")."""

import importlib.util

import pytest
from django.core import mail

from casework.choices import MailStatus
from casework.models import AuditEvent, OutgoingMail
from trials import services

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_or_reason() -> str:
    if importlib.util.find_spec("django_tasks_rq") is None:
        return "django-tasks-rq is not installed (pip install -e '.[test]')"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return f"no Redis at {REDIS_URL}"
    return ""


REASON = _redis_or_reason()
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(bool(REASON), reason=REASON)]


@pytest.fixture
def rq_backend(settings):
    import redis

    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()  # this test's own database number
    yield
    connection.flushdb()


def test_a_mail_runs_through_rq_with_no_change_to_the_application_code(
    rq_backend, make_ready, applicant, django_capture_on_commit_callbacks
):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    application = make_ready()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.count == 1  # pushed to Redis after the commit
    assert mail.outbox == []

    # in this process (no fork), so the job sees the test's database transaction
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    assert worker.work(burst=True)
    [message] = mail.outbox
    assert application.reference in message.subject
    assert OutgoingMail.objects.get().status == MailStatus.SENT
    assert AuditEvent.objects.filter(action="mail.sent", object_id=str(application.pk)).exists()
