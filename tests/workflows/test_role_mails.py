"""Mails that give staff work: each role is told of the events that bring it a task, with a
link to the task; a person who chose the daily digest gets them once a day instead."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from casework.models import AuditEvent, DigestItem
from casework.services import mail_preference_set
from tests import builders
from trials import services as trials
from trials.choices import Assessment
from trials.models import Application
from workflows.case import services
from workflows.case.tasks import task_announce

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks, run_tasks):
    """Run ``action()`` as if its transaction committed, then the worker; return the mails
    sent."""

    def call(action):
        run_tasks()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        run_tasks()
        return list(mail.outbox)

    return call


def _to(mails, user):
    return [m for m in mails if user.email in m.to]


def _task_link(task) -> str:
    return reverse("workflows:task", kwargs={"task_pk": task.pk})


def test_the_line_ministry_is_told_when_a_consultation_arrives(publish, staff, consultee, run):
    application = publish(stop_at="assess")
    mails = run(lambda: builders.advance(application, to="consult", staff=staff))
    task = builders.open_task(application, "consult")
    (message,) = _to(mails, consultee)
    assert application.reference in message.subject
    assert _task_link(task) in message.body


def test_the_approvers_are_told_a_proposal_waits_but_not_the_proposer(
    publish, staff, approver, case_officer, run
):
    application = publish(stop_at="propose")
    mails = run(lambda: builders.advance(application, to="approve", staff=staff))
    task = builders.open_task(application, "approve")
    (message,) = _to(mails, approver)
    assert _task_link(task) in message.body
    assert not _to(mails, case_officer)


def test_an_officer_is_told_when_given_a_task(publish, case_officer, approver, kdd, run):
    from casework.choices import Role
    from tests.factories import person

    colleague = person(kdd, Role.CASE_OFFICER, "kollega.kdd", first_name="Nils")
    application = publish(stop_at="check_completeness")
    task = builders.open_task(application, "check_completeness")
    mails = run(lambda: services.task_reassign(actor=case_officer, task=task, user=colleague))
    (message,) = _to(mails, colleague)
    assert _task_link(task) in message.body
    assert "Sara" in message.body  # who gave it


def _ask_applicant(publish, case_officer, run):
    application = publish(stop_at="check_completeness")
    task = builders.open_task(application, "check_completeness")
    run(
        lambda: services.task_complete(
            actor=case_officer, task=task, payload={"complete": False, "message": "Kva er planen?"}
        )
    )
    return Application.objects.get(pk=application.pk)


def test_the_officer_is_told_when_the_applicant_answered(publish, case_officer, run):
    application = _ask_applicant(publish, case_officer, run)
    mails = run(
        lambda: trials.application_answer(
            actor=application.created_by, application=application, text="Svar."
        )
    )
    (message,) = _to(mails, case_officer)
    assert "svart" in message.subject and application.reference in message.subject
    assert f"{settings.SITE_URL.rstrip('/')}/saksbehandling/" in message.body


def test_the_officer_is_told_when_a_deadline_passed(publish, case_officer, run):
    application = _ask_applicant(publish, case_officer, run)
    request = application.information_requests.get()
    with time_machine.travel(
        datetime.datetime.combine(request.due_date, datetime.time(9)) + datetime.timedelta(days=1),
        tick=False,
    ):
        mails = run(lambda: call_command("workflow_timers"))
    overdue = builders.open_task(application, "answer_overdue")
    (message,) = [m for m in _to(mails, case_officer) if "frist" in m.subject.lower()]
    assert _task_link(overdue) in message.body


def test_a_person_who_chose_the_digest_gets_one_mail_a_day(publish, staff, consultee, run, client):
    client.force_login(consultee)
    response = client.post(reverse("casework:mail_preference"), {"daily_digest": "1"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="mail_preference.changed", actor=consultee).exists()
    application = publish(stop_at="assess")
    mails = run(lambda: builders.advance(application, to="consult", staff=staff))
    assert not _to(mails, consultee)  # held back
    assert DigestItem.objects.filter(user=consultee, sent_at__isnull=True).count() == 1

    mails = run(lambda: call_command("send_digests"))
    (digest,) = _to(mails, consultee)
    assert _task_link(builders.open_task(application, "consult")) in digest.body
    assert not _to(run(lambda: call_command("send_digests")), consultee)  # nothing twice

    mail_preference_set(actor=consultee, daily_digest=False)
    page = client.get(reverse("casework:mail_preference"))
    assert re.search(r'value="0"[^>]*checked', page.content.decode())


def test_a_mail_about_work_goes_through_the_outbox(
    publish, staff, consultee, django_capture_on_commit_callbacks, run_tasks
):
    """Like every other mail (issue 11): queued, sent by the worker, never in the request, so
    a mail server that is down loses nothing."""
    from casework.models import OutgoingMail

    application = publish(stop_at="assess")
    run_tasks()
    mail.outbox.clear()
    assessments = {
        e.pk: {"assessment": Assessment.WITHIN_SCOPE} for e in application.exemption_requests.all()
    }
    with django_capture_on_commit_callbacks(execute=True):  # the request: the step alone
        services.task_complete(
            actor=staff.officer,
            task=builders.open_task(application, "assess"),
            payload={"assessments": assessments},
        )
    queued = OutgoingMail.objects.filter(renderer="casework.notifications.work_email")
    assert DBTaskResult.objects.filter(task_path=task_announce.module_path).exists()
    assert not _to(mail.outbox, consultee)  # nothing rendered or sent inside the request
    run_tasks()
    assert queued.filter(params__user_id=consultee.pk).count() == 1
    assert len(_to(mail.outbox, consultee)) == 1


@pytest.mark.parametrize("digest", [False, True], ids=["mail", "digest"])
def test_announcing_a_task_twice_tells_each_person_once(
    publish, staff, consultee, run_tasks, digest
):
    """The worker may run a task again (killed after its work, before it was marked done):
    the announcement of a consultation still gives each consultee one mail or digest item."""
    from casework.models import OutgoingMail

    mail_preference_set(actor=consultee, daily_digest=digest)
    application = publish(stop_at="consult")
    run_tasks()
    task = builders.open_task(application, "consult")
    OutgoingMail.objects.all().delete()
    DigestItem.objects.all().delete()
    task_announce.call(task.pk)
    task_announce.call(task.pk)
    mails = OutgoingMail.objects.filter(params__user_id=consultee.pk)
    held = DigestItem.objects.filter(user=consultee)
    assert (mails.count(), held.count()) == ((0, 1) if digest else (1, 0))
