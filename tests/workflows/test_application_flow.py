"""The case process end to end through workflows.case.services (the layer pages and API use)."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from casework.choices import EntryType
from casework.selectors import case_for
from legal.models import Provision
from trials import services as trials
from trials.choices import ApplicationStatus, Assessment, Outcome, Position
from trials.models import Application, Consultation
from workflows.case import selectors, services
from workflows.case.flows import ApplicationFlow
from workflows.models import CaseProcess

pytestmark = pytest.mark.django_db

HOL_3_2 = "LOV-2011-06-24-30/§3-2"


@pytest.fixture
def submitted(make_ready, applicant, django_capture_on_commit_callbacks):
    """A submitted application; ``also=[citation keys]`` adds exemption requests."""

    def build(also=(), **kwargs):
        application = make_ready(**kwargs)
        for key in also:
            trials.exemption_request_create(
                actor=kwargs.get("actor", applicant),
                application=application,
                provision=Provision.objects.get(citation_key=key),
                proposed_arrangement="Éi felles teneste.",
                justification="Betre tenester.",
            )
        with django_capture_on_commit_callbacks(execute=True):
            return trials.application_submit(
                actor=kwargs.get("actor", applicant), application=application
            )

    return build


def _status(application):
    return Application.objects.get(pk=application.pk).status


def _steps(application):
    return set(
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__application=application,
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.SCHEDULED],
        ).values_list("flow_task", flat=True)
    )


def _assess_payload(application, **extra):
    return {
        "assessments": {
            e.pk: {"assessment": Assessment.WITHIN_SCOPE, "note": ""}
            for e in application.exemption_requests.all()
        },
        **extra,
    }


def test_submission_starts_a_process_with_a_registration_task_in_the_queue(
    submitted, open_task, case_officer
):
    application = submitted()
    task = open_task(application, "register")
    assert task.owner is None and task.status == STATUS.NEW
    assert selectors.may_take(case_officer, task)


def test_complete_case_from_registration_to_approval_with_two_ministries(
    submitted,
    applicant,
    open_task,
    case_officer,
    consultee,
    hod_consultee,
    approver,
    django_capture_on_commit_callbacks,
):
    application = submitted(also=[HOL_3_2])

    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    assert _status(application) == ApplicationStatus.REGISTERED
    assert _steps(application) == {
        ApplicationFlow.check_completeness,
        ApplicationFlow.interim_wait,
    }
    completeness = open_task(application, "check_completeness")
    assert completeness.owner == case_officer  # the registering officer owns the case
    services.task_complete(actor=case_officer, task=completeness, payload={"complete": True})
    assert _status(application) == ApplicationStatus.UNDER_REVIEW

    services.task_complete(
        actor=case_officer,
        task=open_task(application, "assess"),
        payload=_assess_payload(application),
    )
    assert _status(application) == ApplicationStatus.IN_CONSULTATION
    consult_tasks = list(
        ApplicationFlow.task_class.objects.filter(
            process__caseprocess__application=application,
            flow_task=ApplicationFlow.consult,
            status=STATUS.NEW,
        )
    )
    assert sorted(t.data["ministry"] for t in consult_tasks) == ["HOD", "KD"]
    by_ministry = {t.data["ministry"]: t for t in consult_tasks}

    with pytest.raises(PermissionDenied):
        services.task_claim(actor=consultee, task=by_ministry["HOD"])
    for user, code, position in (
        (consultee, "KD", Position.SUPPORTS),
        (hod_consultee, "HOD", Position.NO_VIEW),
    ):
        task = by_ministry[code]
        consultation = trials_consultation(task)
        services.task_complete(
            actor=user,
            task=task,
            payload={
                "positions": {
                    e.pk: {"position": position, "statement": ""}
                    for e in consultation.exemptions.all()
                }
            },
        )
    assert _status(application) == ApplicationStatus.UNDER_REVIEW
    propose = open_task(application, "propose")
    services.task_complete(
        actor=case_officer,
        task=propose,
        payload={
            "outcomes": {
                e.pk: {"outcome": Outcome.GRANTED} for e in application.exemption_requests.all()
            },
            "summary": "Forsøket blir godkjent.",
        },
    )
    approve = open_task(application, "approve")
    with pytest.raises(PermissionDenied):
        services.task_claim(actor=case_officer, task=approve)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.task_complete(actor=approver, task=approve, payload={"decision": "approve"})
    assert _status(application) == ApplicationStatus.APPROVED
    process = application.case_processes.get(extension=None)
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert not _steps(application)
    assert case_for(application).entries.filter(entry_type=EntryType.OUTGOING).count() >= 4


def trials_consultation(task):
    return Consultation.objects.get(pk=task.data["consultation"])


def test_request_for_information_waits_for_the_answer_then_resumes(
    submitted, applicant, open_task, case_officer
):
    application = submitted()
    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    services.task_complete(
        actor=case_officer,
        task=open_task(application, "check_completeness"),
        payload={"complete": False, "message": "Legg ved kommunestyrevedtaket."},
    )
    assert _status(application) == ApplicationStatus.AWAITING_APPLICANT
    trials.application_answer(
        actor=Application.objects.get(pk=application.pk).created_by,
        application=Application.objects.get(pk=application.pk),
        text="Vedtaket kjem her.",
    )
    assert _status(application) == ApplicationStatus.UNDER_REVIEW
    assert open_task(application, "assess").owner == case_officer


def test_no_answer_reminds_then_gives_the_officer_a_task(
    submitted, open_task, case_officer, django_capture_on_commit_callbacks, run_tasks
):
    application = submitted()
    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    services.task_complete(
        actor=case_officer,
        task=open_task(application, "check_completeness"),
        payload={"complete": False, "message": "Kva er planen?"},
    )
    due = Application.objects.get(pk=application.pk).information_requests.get().due_date
    run_tasks()
    mail.outbox.clear()
    with time_machine.travel(
        datetime.datetime.combine(due, datetime.time(9)) - datetime.timedelta(days=3), tick=False
    ):
        call_command("workflow_timers")
        run_tasks()
    assert any(
        "Påminning" in m.subject or "Reminder" in m.subject or "påminnelse" in m.subject.lower()
        for m in mail.outbox
    )
    with time_machine.travel(
        datetime.datetime.combine(due, datetime.time(9)) + datetime.timedelta(days=1), tick=False
    ):
        call_command("workflow_timers")
    overdue = open_task(application, "answer_overdue")
    services.task_complete(
        actor=case_officer, task=overdue, payload={"action": "continue", "reason": "Går vidare."}
    )
    assert _status(application) == ApplicationStatus.UNDER_REVIEW
    assert open_task(application, "assess")


def test_interim_reply_timer_raises_a_task_one_month_after_registration(
    submitted, open_task, case_officer
):
    application = submitted()
    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        call_command("workflow_timers")
        task = open_task(application, "interim_reply")
        services.task_complete(
            actor=case_officer,
            task=task,
            payload={
                "reason": "Fagdepartementa treng meir tid.",
                "expected_decision": timezone.localdate() + datetime.timedelta(days=20),
            },
        )
    assert case_for(application).entries.filter(title__icontains="Foreløpig").exists() or (
        Application.objects.get(pk=application.pk).interim_replies.count() == 1
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=53), tick=False):
        call_command("workflow_timers")
        assert open_task(application, "interim_reply")


def test_the_same_task_completed_twice_is_refused(submitted, open_task, case_officer, kdd):
    application = submitted()
    task = open_task(application, "register")
    services.task_complete(actor=case_officer, task=task, payload={})
    with pytest.raises(services.TaskDone):
        services.task_complete(actor=case_officer, task=task, payload={})
    assert case_for(application).entries.count() == 2


def test_withdrawal_cancels_the_process(submitted, applicant, open_task, case_officer):
    application = submitted()
    services.task_complete(actor=case_officer, task=open_task(application, "register"), payload={})
    trials.application_withdraw(
        actor=applicant, application=Application.objects.get(pk=application.pk), reason="Trekt."
    )
    assert not _steps(application)
    assert CaseProcess.objects.get(application=application).status == PROCESS.CANCELED
