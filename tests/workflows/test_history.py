"""The case history tells the whole story: what each edit changed (old and new values, a
file's name and checksum) and every timer that fired, on the officer's case page and in the
cases API."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AuditEvent
from tests import builders
from trials import services as trials
from trials.choices import Stage
from trials.models import Application, ExemptionRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(make_ready, applicant, staff):
    """A draft whose title, period, purposes and exemption were edited, then submitted and
    registered."""
    application = make_ready(title="Skolerute for alle", stage=Stage.FINAL)
    trials.application_update(
        actor=applicant, application=application, title="Felles skolerute", period_months=36
    )
    exemption = ExemptionRequest.objects.filter(application=application).first()
    trials.exemption_request_update(
        actor=applicant, request=exemption, justification="Betre for elevane."
    )
    application = builders.submit(application, actor=applicant)
    return builders.advance(application, to="check_completeness", staff=staff)


def _history(application, officer) -> list[dict]:
    api = APIClient()
    api.force_authenticate(officer)
    response = api.get(f"/api/v1/cases/{application.pk}/")
    assert response.status_code == 200, response.content
    return response.json()["history"]


def test_an_edit_records_each_field_with_its_old_and_new_value(edited, case_officer):
    (event,) = AuditEvent.objects.filter(action="application.updated")
    changes = {c["field"]: (c["old"], c["new"]) for c in event.data["changes"]}
    assert set(changes) == {"title", "period_months"}
    assert changes["title"] == ("Skolerute for alle", "Felles skolerute")
    assert changes["period_months"][1] == 36
    assert changes["period_months"][0] != 36
    history = _history(edited, case_officer)
    updated = next(e for e in history if e["action"] == "application.updated")
    assert {"field": "title", "old": "Skolerute for alle", "new": "Felles skolerute"} in (
        updated["changes"]
    )
    exemption = next(e for e in history if e["action"] == "exemption_request.updated")
    assert exemption["changes"][0]["field"] == "justification"
    assert exemption["changes"][0]["new"] == "Betre for elevane."


def test_the_case_page_shows_what_changed(edited, client, case_officer):
    client.force_login(case_officer)
    page = client.get(reverse("workflows:case", args=[edited.pk])).content.decode()
    assert "«Skolerute for alle» → «Felles skolerute»" in page


def test_a_file_is_recorded_with_its_name_and_checksum(edited, case_officer):
    attachment = Application.objects.get(pk=edited.pk).attachments.first()
    added = next(
        e
        for e in _history(edited, case_officer)
        if e["action"] == "attachment.added" and e["details"]["name"] == attachment.original_name
    )
    assert added["details"]["sha256"] == attachment.sha256


def test_every_timer_that_fires_is_in_the_history(edited, case_officer, staff):
    task = builders.open_task(edited, "check_completeness")
    from workflows.case.services import task_complete

    task_complete(
        actor=case_officer, task=task, payload={"complete": False, "message": "Kva er planen?"}
    )
    due = Application.objects.get(pk=edited.pk).information_requests.get().due_date
    reminder = datetime.datetime.combine(due, datetime.time(9)) - datetime.timedelta(days=3)
    with time_machine.travel(reminder, tick=False):
        call_command("workflow_timers")
    with time_machine.travel(reminder + datetime.timedelta(days=4), tick=False):
        call_command("workflow_timers")

    fired = [e for e in _history(edited, case_officer) if e["action"] == "timer.fired"]
    assert [e["details"]["title"] for e in fired] == [
        "Reminder: the applicant's deadline is near",
        "The applicant's deadline has passed",
    ]
    assert all(e["actor"] is None for e in fired)
