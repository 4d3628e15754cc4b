"""The municipality follows its application for extension in the portal as it follows an
application: applied for, registered, under review, in consultation, decision proposed, then
granted with the new end date or refused with the reasons, and the decision letter. KDD's
assessment and the content of a proposal stay internal until the decision (issue 11 § 2)."""

import pytest
from django.conf import settings
from django.test import Client

from tests import builders
from tests.background import run_due_tasks
from trials import services
from trials.rules import add_months

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def portal(user, trial) -> str:
    response = client_for(user).get(f"/mine-forsok/{trial.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def phase(html: str) -> str:
    start = html.index('id="extensions-heading"')
    return html[start : html.index("</section>", start)]


def test_the_municipality_sees_its_extension_move_without_kdds_internal_work(
    trial_in_force, applicant, case_officer, approver, consultee
):
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=12, justification="Vi treng meir tid."
    )
    assert "Applied for" in phase(portal(applicant, trial_in_force))

    builders.extension_complete(extension, "register", case_officer, {})
    assert "Registered" in phase(portal(applicant, trial_in_force))

    builders.extension_complete(
        extension, "assess", case_officer, {"note": "INTERN VURDERING", "months": 12}
    )
    html = portal(applicant, trial_in_force)
    assert "In consultation" in phase(html)
    assert "INTERN VURDERING" not in html  # the assessment is internal until the decision

    consultation = extension.consultations.get()
    positions = {e.pk: {"position": "supports"} for e in consultation.exemptions.all()}
    builders.extension_complete(extension, "consult", consultee, {"positions": positions})
    assert "Under review" in phase(portal(applicant, trial_in_force))

    builders.extension_complete(
        extension, "propose", case_officer, {"decision": "grant", "reasons": "INTERNE GRUNNAR"}
    )
    html = portal(applicant, trial_in_force)
    assert "Decision proposed" in phase(html)
    assert "A second person at the ministry reviews the proposal" in phase(html)
    assert "INTERNE GRUNNAR" not in html  # nor the proposal's reasons, nor what it proposes
    assert "Decision on the extension proposed" in html  # the step itself, as for applications

    builders.extension_complete(
        extension, "approve", approver, {"decision": "return", "comment": "INTERN KOMMENTAR"}
    )
    html = portal(applicant, trial_in_force)
    assert "Under review" in phase(html) and "INTERN KOMMENTAR" not in html

    builders.extension_complete(
        extension, "propose", case_officer, {"decision": "grant", "reasons": "Grunngitt."}
    )
    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    run_due_tasks()
    extension.refresh_from_db()
    html = phase(portal(applicant, trial_in_force))
    assert "Granted" in html and "Grunngitt." in html  # the reasons, now decided
    new_end = add_months(trial_in_force.ends_on, 12)
    assert extension.new_ends_on == new_end
    letter_url = f"/mine-forsok/{trial_in_force.pk}/forlengelse/{extension.pk}/vedtak/"
    assert letter_url in html
    response = client_for(applicant).get(letter_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_a_refusal_shows_with_its_reasons(trial_in_force, applicant, staff):
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=6, justification="Litt til."
    )
    builders.extension_through_case(extension, staff=staff, grant=False, consult=False)
    html = phase(portal(applicant, trial_in_force))
    assert "Refused" in html and "Godt grunngitt." in html
    assert "The trial ends on its end date." in html


def test_kdds_own_proposal_shows_only_as_proposed_to_the_municipality(
    trial_in_force, applicant, case_officer
):
    services.trial_extend(
        actor=case_officer, trial=trial_in_force, months=6, reasons="INTERN GRUNNGJEVING"
    )
    html = portal(applicant, trial_in_force)
    assert "Decision proposed" in phase(html) and "own initiative" in phase(html)
    assert "INTERN GRUNNGJEVING" not in html
    # nor publicly before the decision
    public = Client().get(f"/forsok/{trial_in_force.pk}/").content.decode()
    assert "INTERN GRUNNGJEVING" not in public and "Decision proposed" not in public


def test_another_municipality_cannot_read_the_letter(
    trial_in_force, applicant, staff, bodo_applicant
):
    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=6, justification="Litt til."
    )
    builders.extension_through_case(extension, staff=staff, consult=False)
    letter_url = f"/mine-forsok/{trial_in_force.pk}/forlengelse/{extension.pk}/vedtak/"
    assert client_for(bodo_applicant).get(letter_url).status_code == 404
    other = f"/mine-forsok/{trial_in_force.pk}/forlengelse/999999/vedtak/"
    assert client_for(applicant).get(other).status_code == 404


def test_the_trials_api_gives_the_extensions_phase(trial_in_force, applicant, case_officer):
    from rest_framework.test import APIClient

    extension = services.extension_apply(
        actor=applicant, trial=trial_in_force, months=6, justification="Litt til."
    )
    builders.extension_complete(extension, "register", case_officer, {})
    api = APIClient()
    api.force_login(applicant)
    data = api.get(f"/api/v1/trials/{trial_in_force.pk}/").json()
    assert data["extensions"][0]["phase"] == "registered"
    assert data["extensions"][0]["on_own_initiative"] is False
    assert "assessment_note" not in data["extensions"][0]
