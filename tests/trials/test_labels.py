"""What states and audit actions are called: one table (``trials.labels``) read by the
portal, the workspace, the public pages and timeline, and both APIs, so no face says
"Approved" where another says "Taken forward"."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from casework.selectors import audit_events_for, case_for
from trials import labels
from trials.choices import ApplicationStatus, Stage

pytestmark = pytest.mark.django_db


def _english(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def _every_face(application, applicant, case_officer) -> dict[str, str]:
    """The application's status label on each page and in each API answer."""
    portal = _english(applicant).get(reverse("trials:application_detail", args=[application.pk]))
    workspace = _english(case_officer).get(
        reverse("workflows:case", kwargs={"application_pk": application.pk})
    )
    public = _english().get(reverse("public:application_detail", args=[application.reference]))
    return {
        "portal": portal.content.decode(),
        "workspace": workspace.content.decode(),
        "public": public.content.decode(),
        "api": _english(applicant)
        .get(f"/api/v1/applications/{application.pk}/")
        .json()["status_label"],
        "case api": _english(case_officer)
        .get(f"/api/v1/cases/{application.pk}/")
        .json()["status_label"],
        "public api": _english()
        .get(f"/api/v1/public/applications/{application.reference}/")
        .json()["status_label"],
    }


@pytest.mark.parametrize(
    ("stage", "status", "label", "not_label"),
    [
        (Stage.PRELIMINARY, ApplicationStatus.APPROVED, "Taken forward", "Approved"),
        (Stage.PRELIMINARY, ApplicationStatus.REJECTED, "Not taken forward", "Rejected"),
        (Stage.FINAL, ApplicationStatus.APPROVED, "Approved", "Taken forward"),
    ],
)
def test_every_face_names_the_outcome_alike(
    make_ready, reach, applicant, case_officer, stage, status, label, not_label
):
    application = reach(make_ready(stage=stage), status)
    faces = _every_face(application, applicant, case_officer)
    for face in ("api", "case api", "public api"):
        assert faces[face] == label, face
    for face in ("portal", "workspace", "public"):
        heading = re.search(r'<h2 id="status-heading">.*?</h2>', faces[face], re.S).group()
        assert f">{label}</span>" in heading, face
        assert not_label not in heading, face


def test_the_case_history_tells_a_preliminary_decision_as_taken_forward(
    make_ready, reach, case_officer
):
    application = reach(make_ready(), ApplicationStatus.APPROVED)
    history = _english(case_officer).get(f"/api/v1/cases/{application.pk}/").json()["history"]
    decided = next(event for event in history if event["action"] == "application.approved")
    assert decided["action_label"] == "Decision made: taken forward"
    page = _english(case_officer).get(
        reverse("workflows:case", kwargs={"application_pk": application.pk})
    )
    assert "Decision made: taken forward" in page.content.decode()
    assert "Decision made: approved" not in page.content.decode()


@pytest.mark.parametrize(
    "status", [ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN]
)
def test_every_audit_action_of_a_case_has_a_meaning(make_ready, reach, status):
    """A service that writes a new audit action must give it a meaning in trials.labels,
    or the histories would show the raw action name."""
    application = reach(make_ready(stage=Stage.FINAL), status)
    case = case_for(application)
    events = [*audit_events_for(application), *(audit_events_for(case) if case else [])]
    assert {event.action for event in events} - set(labels.AUDIT_ACTIONS) == set()


def test_the_applicant_history_shows_only_what_the_table_gives_the_applicant(
    make_ready, reach, applicant
):
    application = reach(make_ready(), ApplicationStatus.APPROVED)
    page = _english(applicant).get(reverse("trials:application_detail", args=[application.pk]))
    html = page.content.decode()
    assert str(labels.AUDIT_ACTIONS["application.submitted"].applicant) in html
    assert str(labels.AUDIT_ACTIONS["application.approved"].applicant) in html
    assert str(labels.AUDIT_ACTIONS["exemption.assessed"].label) not in html


def test_the_public_page_explains_a_preliminary_taken_forward_as_not_approval(make_ready, reach):
    application = reach(make_ready(), ApplicationStatus.APPROVED)
    page = _english().get(reverse("public:application_detail", args=[application.reference]))
    html = page.content.decode()
    assert "The ministry has taken the preliminary application forward." in html
    assert "Taken forward is not approval" in html
    assert "approved the trial" not in html


def test_the_decision_email_names_a_preliminary_outcome_as_taken_forward(publish, mailoutbox):
    application = publish(stop_at="decided")
    assert application.status == ApplicationStatus.APPROVED
    decided = [m.body for m in mailoutbox if "Departementet har gjort vedtak" in m.body]
    assert len(decided) == 1
    assert f"«{application.title}»: Går videre." in decided[0]
