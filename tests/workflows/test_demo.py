"""``manage.py seed_demo``: users for every role, applications in every state, cases at every
step so that each role's inbox or queue has work, and access requests; idempotent."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from casework.models import AccessRequest, AuditEvent, JournalEntry
from tests.conftest import record_bokmal_for_neutral
from trials.choices import ApplicationStatus
from trials.models import Application, ExemptionRequest
from workflows.access import selectors as access_selectors
from workflows.case import selectors
from workflows.demo.seed import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module (the command takes seconds), then the database is left as
    the session found it: emptied, with the reference data loaded again."""
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        call_command("flush", "--noinput", stdout=io.StringIO())
        call_command("load_reference_data", stdout=io.StringIO())
        record_bokmal_for_neutral()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            get_user_model(),
            Application,
            ExemptionRequest,
            JournalEntry,
            AccessRequest,
            AuditEvent,
        )
    }


def test_every_demo_user_logs_in_with_the_documented_password(demo):
    for demo_user in DEMO_USERS:
        assert authenticate(username=demo_user.username, password=DEMO_PASSWORD), demo_user
    assert f"passord: {DEMO_PASSWORD}" in demo


def test_applications_in_every_state_from_several_municipalities(demo):
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses >= {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.REGISTERED,
        ApplicationStatus.AWAITING_APPLICANT,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.IN_CONSULTATION,
        ApplicationStatus.DECISION_PROPOSED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.WITHDRAWN,
    }
    assert Application.objects.values("lead_organisation").distinct().count() >= 2
    assert Application.objects.filter(co_applicants__isnull=False).exists()
    assert not ExemptionRequest.objects.filter(provision__isnull=True).exists()


def test_cases_wait_at_every_step_so_each_role_has_work(demo):
    users = {user.username: user for user in get_user_model().objects.all()}
    open_steps = {task.flow_task.name for task in selectors.tasks_for_user(users["saksbehandler"])}
    assert open_steps >= {"register", "check_completeness", "assess", "propose"}
    assert {task.flow_task.name for task in selectors.queue(users["leder"])} >= {"approve"}
    assert {task.flow_task.name for task in selectors.tasks_for_user(users["kd"])} == {"consult"}
    assert access_selectors.open_access_tasks().count() == 1
    assert AccessRequest.objects.filter(status="granted").count() == 1


def test_running_it_again_changes_nothing(demo):
    before = counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == before
    assert "(finnes)" in out.getvalue()


def test_trials_in_every_status(demo):
    from trials.choices import ExtensionStatus, TrialStatus
    from trials.models import Trial

    statuses = set(Trial.objects.values_list("status", flat=True))
    assert statuses == {
        TrialStatus.IN_FORCE,
        TrialStatus.ENDED,
        TrialStatus.MADE_PERMANENT,
        TrialStatus.STOPPED,
    }
    in_force = Trial.objects.filter(status=TrialStatus.IN_FORCE)
    assert in_force.filter(obligations__fulfilled_at__isnull=True).exists()  # a report due
    assert in_force.filter(
        extensions__status=ExtensionStatus.GRANTED, extensions__reform_date__isnull=False
    ).exists()
    assert Trial.objects.filter(status=TrialStatus.STOPPED, stopped_at_request=True).exists()


def test_an_application_for_extension_is_in_process(demo):
    from trials.models import Extension

    extension = Extension.objects.get(status="requested")
    assert extension.registered_at and extension.assessed_at
    hod = get_user_model().objects.get(username="hod")
    steps = {task.flow_task.name for task in selectors.tasks_for_user(hod)}
    assert "consult" in steps
    assert extension.consultations.get().ministry.code == "HOD"
