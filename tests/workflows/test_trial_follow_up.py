"""The follow-up timers of a trial in force, fired by ``manage.py workflow_timers`` with the
clock moved: expiry warnings, report reminders, an officer task for an overdue report, and the
automatic end on the end date unless extended."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from casework.selectors import audit_events_for
from tests import builders
from trials import services
from trials.choices import ObligationKind, TrialNoticeKind, TrialStatus
from trials.models import Trial, TrialNotice
from trials.rules import add_months
from workflows.trial import services as follow_up
from workflows.trial.flows import TrialFollowUpFlow
from workflows.trial.models import TrialProcess


def at(day: datetime.date, hour: int = 9):
    return time_machine.travel(
        timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))), tick=False
    )


def timers(day: datetime.date, hour: int = 9):
    with at(day, hour):
        call_command("workflow_timers")


def notices(trial, kind):
    return list(TrialNotice.objects.filter(trial=trial, kind=kind).order_by("sent_at"))


def status(trial) -> str:
    return Trial.objects.get(pk=trial.pk).status


def test_the_trial_in_force_starts_its_follow_up_with_a_timer(trial_in_force):
    process = TrialProcess.objects.get(trial=trial_in_force)
    wait = TrialFollowUpFlow.task_class.objects.get(
        process=process, flow_task=TrialFollowUpFlow.wait, status=STATUS.SCHEDULED
    )
    first_warning = add_months(trial_in_force.ends_on, -12)
    assert timezone.localdate(wait.scheduled) == first_warning


def test_expiry_warnings_12_and_6_months_before_the_end_are_sent_once(trial_in_force):
    ends_on = trial_in_force.ends_on
    timers(add_months(ends_on, -12) - datetime.timedelta(days=1))
    assert notices(trial_in_force, TrialNoticeKind.EXPIRY_WARNING) == []
    timers(add_months(ends_on, -12))
    timers(add_months(ends_on, -12) + datetime.timedelta(days=1))
    assert [n.months_before for n in notices(trial_in_force, TrialNoticeKind.EXPIRY_WARNING)] == [
        12
    ]
    timers(add_months(ends_on, -6))
    assert [n.months_before for n in notices(trial_in_force, TrialNoticeKind.EXPIRY_WARNING)] == [
        12,
        6,
    ]
    assert audit_events_for(trial_in_force).filter(action="trial.expiry_warning_sent").count() == 2
    fired = audit_events_for(trial_in_force).filter(action="timer.fired")
    assert fired.count() >= 2 and fired.first().data["timer"] == "wait"


def test_the_trial_ends_by_itself_on_its_end_date(trial_in_force):
    ends_on = trial_in_force.ends_on
    timers(ends_on - datetime.timedelta(days=1))
    assert status(trial_in_force) == TrialStatus.IN_FORCE
    timers(ends_on)
    assert status(trial_in_force) == TrialStatus.ENDED
    ended = audit_events_for(trial_in_force).get(action="trial.ended")
    assert ended.actor is None and ended.to_state == TrialStatus.ENDED
    process = TrialProcess.objects.get(trial=trial_in_force)
    assert process.status == PROCESS.DONE


def test_an_extended_trial_does_not_end_on_the_old_date(trial_in_force, case_officer, approver):
    old_end = trial_in_force.ends_on
    builders.trial_extended(trial_in_force, officer=case_officer, approver=approver, months=6)
    timers(old_end)
    assert status(trial_in_force) == TrialStatus.IN_FORCE
    timers(add_months(old_end, 6))
    assert status(trial_in_force) == TrialStatus.ENDED


def test_a_report_reminder_before_the_due_date_and_an_officer_task_after_it(
    trial_in_force, case_officer
):
    due = timezone.localdate() + datetime.timedelta(days=60)
    obligation = services.obligation_add(
        actor=case_officer, trial=trial_in_force, kind=ObligationKind.ANNUAL_REPORT, due_on=due
    )
    timers(due - datetime.timedelta(days=15))
    assert notices(trial_in_force, TrialNoticeKind.REPORT_REMINDER) == []
    timers(due - datetime.timedelta(days=14))
    assert len(notices(trial_in_force, TrialNoticeKind.REPORT_REMINDER)) == 1
    timers(due)
    assert list(follow_up.overdue_tasks(trial_in_force)) == []
    timers(due + datetime.timedelta(days=1))
    timers(due + datetime.timedelta(days=2))
    tasks = list(follow_up.overdue_tasks(trial_in_force))
    assert len(tasks) == 1
    assert tasks[0].owner == case_officer and tasks[0].data["obligation"] == obligation.pk
    follow_up.overdue_task_complete(actor=case_officer, task=tasks[0], note="Purra på e-post.")
    assert list(follow_up.overdue_tasks(trial_in_force)) == []
    assert (
        audit_events_for(trial_in_force)
        .filter(action="trial.overdue_report_followed_up", reason="Purra på e-post.")
        .exists()
    )


def test_a_report_delivered_in_time_gives_no_task(trial_in_force, applicant, case_officer):
    due = timezone.localdate() + datetime.timedelta(days=30)
    obligation = services.obligation_add(
        actor=case_officer, trial=trial_in_force, kind=ObligationKind.ANNUAL_REPORT, due_on=due
    )
    report = services.report_submit(
        actor=applicant,
        trial=trial_in_force,
        title="Rapport",
        text="Alt går bra.",
        obligation=obligation,
    )
    services.report_acknowledge(actor=case_officer, report=report)
    timers(due + datetime.timedelta(days=1))
    assert list(follow_up.overdue_tasks(trial_in_force)) == []


def test_a_stopped_trial_finishes_its_follow_up_at_the_next_run(trial_in_force, case_officer):
    services.trial_stop(actor=case_officer, trial=trial_in_force, reasons="Kommunen ba om det.")
    timers(timezone.localdate(), hour=23)  # the next run, whatever the time of day now
    assert TrialProcess.objects.get(trial=trial_in_force).status == PROCESS.DONE


@pytest.mark.django_db
def test_two_dispatchers_do_not_send_a_warning_twice(trial_in_force):
    day = add_months(trial_in_force.ends_on, -12)
    with at(day):
        services.follow_up_run(trial=trial_in_force)
        services.follow_up_run(trial=trial_in_force)
    assert len(notices(trial_in_force, TrialNoticeKind.EXPIRY_WARNING)) == 1


def test_the_expiry_warning_mails_the_municipality_and_the_officer(
    trial_in_force, case_officer, django_capture_on_commit_callbacks, mailoutbox, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        timers(add_months(trial_in_force.ends_on, -6))
    run_tasks()
    recipients = {address for message in mailoutbox for address in message.to}
    contacts = {c.email for c in trial_in_force.application.contacts.all()}
    assert contacts <= recipients and case_officer.email in recipients
    assert all(str(trial_in_force.application.reference) in m.subject for m in mailoutbox)
