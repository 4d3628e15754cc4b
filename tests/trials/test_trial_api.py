"""/api/v1/trials/: a trial from its regulation through a report, an extension and its end,
over the API; the wrong role gets 403, another organisation 404, a race 409."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.files import pdf_bytes, upload
from trials.choices import TrialStatus
from trials.models import Trial
from trials.rules import add_months

BASE = "/api/v1/trials/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def url(trial, action="") -> str:
    return f"{BASE}{trial.pk}/{action + '/' if action else ''}"


def regulation_data(trial, months=24):
    today = timezone.localdate()
    return {
        "for_id": f"FOR-{today:%Y-%m-%d}-0077",
        "title": "Forskrift om forsøk med tilpassa skoledag",
        "adopted_on": today.isoformat(),
        "in_force_from": today.isoformat(),
        "in_force_to": add_months(today, months).isoformat(),
        "lovdata_url": "https://lovdata.no/dokument/LF/forskrift/2027-0077",
        "text": upload("forskrift.pdf", pdf_bytes("Forskrift"), "application/pdf"),
    }


def _task(extension_id, step) -> int:
    from tests.builders import extension_task
    from trials.models import Extension

    return extension_task(Extension.objects.get(pk=extension_id), step).pk


def test_a_trial_from_regulation_to_report_extension_and_end_over_the_api(
    approved_trial, applicant, case_officer, approver
):
    officer, municipality = as_user(case_officer), as_user(applicant)
    listed = municipality.get(BASE).json()["results"]
    assert [t["id"] for t in listed] == [approved_trial.pk]
    response = officer.post(url(approved_trial, "regulation"), regulation_data(approved_trial))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == TrialStatus.IN_FORCE
    due = (timezone.localdate() + datetime.timedelta(days=200)).isoformat()
    response = officer.post(
        url(approved_trial, "obligations"),
        {"kind": "annual_report", "due_on": due},
        format="json",
    )
    obligation = response.json()["obligations"][0]["id"]
    response = municipality.post(
        url(approved_trial, "reports"),
        {
            "title": "Årsrapport",
            "text": "Fråværet gjekk ned.",
            "obligation": obligation,
            "files": [upload("tal.pdf", pdf_bytes("Tal"), "application/pdf")],
        },
    )
    assert response.status_code == 201, response.content
    report = response.json()["reports"][0]
    assert report["attachments"] == ["tal.pdf"]
    response = officer.post(
        url(approved_trial, f"reports/{report['id']}/acknowledge"), {}, format="json"
    )
    assert response.json()["reports"][0]["status"] == "acknowledged"
    assert response.json()["obligations"][0]["fulfilled_at"]
    response = municipality.post(
        url(approved_trial, "extensions"),
        {"months": 12, "justification": "Meir data trengst."},
        format="json",
    )
    assert response.status_code == 201, response.content
    extension = response.json()["extensions"][0]["id"]
    # the application for extension is a case: registered and assessed over the tasks API
    tasks = officer.get("/api/v1/tasks/", {"box": "queue", "step": "register"}).json()
    row = next(t for t in tasks["results"] if t["extension"] == extension)
    assert row["title"] == "Register the application for extension"
    response = officer.post(f"/api/v1/tasks/{row['id']}/complete/", {}, format="json")
    assert response.status_code == 200, response.content
    assess = _task(extension, "assess")
    detail = officer.get(f"/api/v1/tasks/{assess}/").json()
    assert detail["payload"] == "ExtensionAssessmentPayload"
    assert detail["extension_application"]["months"] == 12
    response = officer.post(
        f"/api/v1/tasks/{assess}/complete/",
        {"months": 25, "note": "For lenge."},
        format="json",
    )
    assert response.status_code == 400 and "24 months" in response.json()["months"][0]
    response = officer.post(
        f"/api/v1/tasks/{assess}/complete/",
        {"months": 12, "note": "Grunngitt.", "skip_consultation": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    # "decide" is the case's decisive step: the officer's proposal, then a second person
    response = officer.post(
        url(approved_trial, f"extensions/{extension}/decide"),
        {"grant": True, "reasons": "Godt grunngitt."},
        format="json",
    )
    assert response.status_code == 200, response.content
    unmoved = Trial.objects.get(pk=approved_trial.pk)
    assert unmoved.ends_on == unmoved.period_ends_on  # nothing moves before the approval
    approve = _task(extension, "approve")
    detail = as_user(approver).get(f"/api/v1/tasks/{approve}/").json()
    assert detail["proposal"]["grant"] is True and detail["proposal"]["outcomes"] == []
    assert detail["title"] == "Approve the decision on the extension"
    response = officer.post(
        url(approved_trial, f"extensions/{extension}/decide"),
        {"grant": True, "reasons": "Eg godkjenner sjølv."},
        format="json",
    )
    assert response.status_code == 403  # four eyes
    response = as_user(approver).post(
        url(approved_trial, f"extensions/{extension}/decide"),
        {"grant": True, "reasons": "Einig."},
        format="json",
    )
    assert response.status_code == 200, response.content
    trial = Trial.objects.get(pk=approved_trial.pk)
    assert response.json()["ends_on"] == trial.ends_on.isoformat()
    assert trial.ends_on == add_months(trial.period_ends_on, 12)
    response = officer.post(url(trial, "stop"), {"reasons": "Kommunen ba om det."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == TrialStatus.STOPPED


def test_an_extension_of_25_months_is_refused_with_400(trial_in_force, case_officer):
    response = as_user(case_officer).post(
        url(trial_in_force, "extend"), {"months": 25, "reasons": "Lenge."}, format="json"
    )
    assert response.status_code == 400
    assert "at most 24 months" in response.json()["months"][0]


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("stop", {"reasons": "Vi vil slutte."}),
        ("extend", {"months": 6, "reasons": "Meir."}),
        ("make-permanent", {"law_reference": "LOV-2029-06-20-55", "law_date": "2030-01-01"}),
    ],
)
def test_a_municipality_cannot_do_the_ministrys_steps(trial_in_force, applicant, action, payload):
    response = as_user(applicant).post(url(trial_in_force, action), payload, format="json")
    assert response.status_code == 403


def test_the_ministry_cannot_report_for_the_municipality(trial_in_force, case_officer):
    response = as_user(case_officer).post(
        url(trial_in_force, "reports"), {"title": "X", "text": "Y"}, format="json"
    )
    assert response.status_code == 403


def test_another_municipality_gets_404(trial_in_force, bodo_applicant):
    client = as_user(bodo_applicant)
    assert client.get(BASE).json()["results"] == []
    assert client.get(url(trial_in_force)).status_code == 404
    response = client.post(
        url(trial_in_force, "reports"), {"title": "X", "text": "Y"}, format="json"
    )
    assert response.status_code == 404


def test_a_second_stop_is_a_conflict(trial_in_force, case_officer):
    client = as_user(case_officer)
    first = client.post(url(trial_in_force, "stop"), {"reasons": "A."}, format="json")
    assert first.status_code == 200
    response = client.post(url(trial_in_force, "stop"), {"reasons": "B."}, format="json")
    assert response.status_code == 409


def test_the_trials_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/trials/" in paths
    assert "/api/v1/trials/{id}/regulation/" in paths
    assert "/api/v1/trials/{id}/extensions/{extension_pk}/decide/" in paths
