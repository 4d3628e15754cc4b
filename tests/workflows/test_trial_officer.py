"""A trial's follow-up in the officers' main inbox (an overdue report is a task there and in
the tasks API), and a KDD leader giving the follow-up to another officer (page, team view,
API), audited; 403 for the wrong role, 404 for another organisation."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from casework.choices import Role
from casework.selectors import audit_events_for
from tests.factories import person
from trials import services
from trials.choices import ObligationKind
from trials.models import Trial
from workflows.trial import services as follow_up

pytestmark = pytest.mark.django_db


def client(user, api=False):
    c = APIClient() if api else Client()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    c.force_login(user)
    return c


def timers(day: datetime.date):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    with time_machine.travel(moment, tick=False):
        call_command("workflow_timers")


@pytest.fixture
def overdue(trial_in_force, case_officer):
    """A yearly report due in 30 days, the clock 2 days past it: the officer has a task."""
    due = timezone.localdate() + datetime.timedelta(days=30)
    services.obligation_add(
        actor=case_officer, trial=trial_in_force, kind=ObligationKind.ANNUAL_REPORT, due_on=due
    )
    timers(due + datetime.timedelta(days=1))
    [task] = follow_up.overdue_tasks(trial_in_force)
    return task


@pytest.fixture
def second_officer(kdd):
    return person(kdd, Role.CASE_OFFICER, "per.kdd", first_name="Per")


@pytest.fixture
def leader(kdd):
    return person(kdd, Role.ADMINISTRATOR, "leiar.kdd", first_name="Lise")


def test_an_overdue_report_is_a_task_in_the_main_inbox(overdue, trial_in_force, case_officer):
    page = client(case_officer).get("/saksbehandling/").content.decode()
    assert "A report on a trial is overdue: follow it up" in page
    assert f"/saksbehandling/forsok/{trial_in_force.pk}/oppgaver/{overdue.pk}/" in page
    filtered = client(case_officer).get("/saksbehandling/", {"step": "report_overdue"})
    assert f"/oppgaver/{overdue.pk}/" in filtered.content.decode()


def test_an_overdue_report_is_in_the_tasks_api_and_completed_there(
    overdue, trial_in_force, case_officer, applicant
):
    api = client(case_officer, api=True)
    rows = api.get("/api/v1/tasks/", {"box": "inbox"}).json()["results"]
    row = next(r for r in rows if r["id"] == overdue.pk)
    assert row["step"] == "report_overdue" and row["trial"] == trial_in_force.pk
    assert row["allowed_actions"] == ["complete"]
    assert row["case"]["id"] == trial_in_force.application_id
    refused = client(applicant, api=True).post(
        f"/api/v1/tasks/{overdue.pk}/complete/", {"note": "Nei."}, format="json"
    )
    assert refused.status_code == 403
    done = api.post(f"/api/v1/tasks/{overdue.pk}/complete/", {"note": "Purra."}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "DONE"
    again = api.post(f"/api/v1/tasks/{overdue.pk}/complete/", {"note": "Igjen."}, format="json")
    assert again.status_code == 409
    assert list(follow_up.overdue_tasks(trial_in_force)) == []


def test_a_leader_gives_the_follow_up_to_another_officer_with_its_tasks(
    overdue, trial_in_force, case_officer, second_officer, approver
):
    response = client(approver).post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/saksbehandler/",
        {"officer": second_officer.pk, "reason": "Ferie."},
    )
    assert response.status_code == 302
    trial = Trial.objects.get(pk=trial_in_force.pk)
    assert trial.officer == second_officer
    event = audit_events_for(trial).get(action="trial.officer_reassigned")
    assert event.actor == approver and event.reason == "Ferie."
    assert event.data == {"from": case_officer.username, "to": second_officer.username}
    overdue.refresh_from_db()
    assert overdue.owner == second_officer
    assert "follow it up" in client(second_officer).get("/saksbehandling/").content.decode()


def test_the_team_view_lists_trials_and_reassigns(
    trial_in_force, case_officer, second_officer, leader
):
    page = client(leader).get("/saksbehandling/team/").content.decode()
    assert f'id="trial-{trial_in_force.pk}"' in page
    response = client(leader).post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/saksbehandler/",
        {"officer": second_officer.pk, "next": "team"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/saksbehandling/team/#trial-{trial_in_force.pk}"
    assert Trial.objects.get(pk=trial_in_force.pk).officer == second_officer


def test_a_case_officer_cannot_reassign_the_follow_up(trial_in_force, case_officer, second_officer):
    response = client(case_officer).post(
        f"/saksbehandling/forsok/{trial_in_force.pk}/saksbehandler/",
        {"officer": second_officer.pk},
    )
    assert response.status_code == 403
    response = client(case_officer, api=True).post(
        f"/api/v1/trials/{trial_in_force.pk}/officer/",
        {"username": second_officer.username},
        format="json",
    )
    assert response.status_code == 403
    assert Trial.objects.get(pk=trial_in_force.pk).officer == case_officer


def test_reassigning_over_the_api(
    trial_in_force, approver, second_officer, applicant, bodo_applicant
):
    url = f"/api/v1/trials/{trial_in_force.pk}/officer/"
    response = client(approver, api=True).post(
        url, {"username": second_officer.username, "reason": "Ferie."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["officer"]["username"] == second_officer.username
    # the municipality running the trial: the wrong role
    response = client(applicant, api=True).post(
        url, {"username": second_officer.username}, format="json"
    )
    assert response.status_code == 403
    # another organisation does not see the trial at all
    response = client(bodo_applicant, api=True).post(
        url, {"username": second_officer.username}, format="json"
    )
    assert response.status_code == 404
    # only a case officer at KDD can follow a trial up
    response = client(approver, api=True).post(url, {"username": applicant.username}, format="json")
    assert response.status_code == 400 and "username" in response.json()
