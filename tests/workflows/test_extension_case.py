"""An application for extension is a case with an application's steps (issue 12): the same
process (ApplicationFlow with the extension set), driven through the case services as the
officers' pages and the tasks API drive it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from casework.selectors import audit_events_for
from tests import builders
from trials import services
from trials.choices import ConsultationStatus, ExtensionStatus, ProposalStatus
from trials.exceptions import ConflictError
from trials.letters import render_letter
from trials.models import Trial
from trials.rules import add_months
from workflows.case import selectors
from workflows.case.flows import ApplicationFlow
from workflows.case.services import task_claim, task_complete
from workflows.tasks import TaskDone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(trial) -> Trial:
    return Trial.objects.get(pk=trial.pk)


def apply(trial, applicant, **terms):
    terms = terms or {"months": 12}
    return services.extension_apply(
        actor=applicant, trial=trial, justification="Vi treng meir data.", **terms
    )


def assess_payload(**terms):
    return {"note": "Søknaden er grunngitt.", **(terms or {"months": 12})}


def test_an_application_for_extension_runs_every_step_of_a_case(
    trial_in_force, applicant, case_officer, approver, consultee
):
    old_end = trial_in_force.ends_on
    extension = apply(trial_in_force, applicant)
    assert builders.extension_step(extension) == "register"
    assert extension.application_entry is None  # journaled when registered

    builders.extension_complete(extension, "register", case_officer, {})
    extension.refresh_from_db()
    assert extension.registered_at is not None
    assert extension.application_entry.entry_type == "I"
    assert builders.extension_step(extension) == "assess"  # no completeness check

    builders.extension_complete(extension, "assess", case_officer, assess_payload())
    extension.refresh_from_db()
    assert extension.assessed_by == case_officer and extension.months == 12
    # the trial deviates from opplæringslova (KD): KD is consulted on the trial's exemption
    consultation = extension.consultations.get()
    assert consultation.ministry.code == "KD" and consultation.letter.entry_type == "U"
    consult = builders.extension_task(extension, "consult")
    assert consult.data["ministry"] == "KD"
    letter = render_letter(
        "consultation",
        {
            "consultation": consultation,
            "exemptions": list(consultation.exemptions.all()),
            "application": trial_in_force.application,
        },
        language="en",
    )
    assert letter.title == "Consultation on an application for extension of a trial"
    assert any("has applied for an extension of the trial" in text for _, text in letter.paragraphs)

    positions = {e.pk: {"position": "supports"} for e in consultation.exemptions.all()}
    builders.extension_complete(
        extension, "consult", consultee, {"positions": positions, "statement": "Vi støttar."}
    )
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.ANSWERED
    assert builders.extension_step(extension) == "propose"

    payload = {"decision": "grant", "reasons": "Forsøket gir verdifull kunnskap."}
    builders.extension_complete(extension, "propose", case_officer, payload)
    proposal = extension.proposals.get()
    assert proposal.status == ProposalStatus.PENDING and proposal.grants_extension
    assert fresh(trial_in_force).ends_on == old_end  # nothing moves before the approval

    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    extension.refresh_from_db()
    trial = fresh(trial_in_force)
    assert extension.status == ExtensionStatus.GRANTED
    assert trial.ends_on == add_months(old_end, 12) == extension.new_ends_on
    assert extension.decided_by == approver
    assert extension.letter.entry_type == "U"
    assert builders.extension_step(extension) is None
    process = extension.case_process
    assert process.status == "DONE"
    assessed = audit_events_for(trial).get(action="trial.extension_assessed")
    assert (assessed.actor, assessed.from_state, assessed.to_state) == (
        case_officer,
        "registered",
        "assessed",
    )
    actions = list(audit_events_for(trial).values_list("action", flat=True))
    for action in (
        "trial.extension_applied",
        "trial.extension_registered",
        "trial.extension_assessed",
        "trial.extension_proposed",
        "trial.extended",
    ):
        assert action in actions


def _to_approval(extension, officer, *, decision="grant"):
    builders.extension_complete(extension, "register", officer, {})
    builders.extension_complete(
        extension, "assess", officer, {**assess_payload(), "skip_consultation": True}
    )
    builders.extension_complete(
        extension, "propose", officer, {"decision": decision, "reasons": "Grunngitt."}
    )


def test_a_refusal_keeps_the_end_date_and_sends_the_letter(
    trial_in_force, applicant, case_officer, approver
):
    extension = apply(trial_in_force, applicant)
    _to_approval(extension, case_officer, decision="refuse")
    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.REFUSED
    assert extension.letter is not None
    assert fresh(trial_in_force).ends_on == trial_in_force.ends_on


def test_the_proposer_cannot_approve_four_eyes(trial_in_force, applicant, kdd, case_officer):
    from casework.choices import Role
    from tests.factories import person

    both = person(kdd, Role.APPROVER, "begge.kdd")
    person(kdd, Role.CASE_OFFICER, "begge.kdd")
    extension = apply(trial_in_force, applicant)
    _to_approval(extension, both)
    task = builders.extension_task(extension, "approve")
    assert "four-eyes" in selectors.task_refusal(both, task)
    with pytest.raises(PermissionDenied):
        task_claim(actor=both, task=task)
    # nor through the trials API's "decide"
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=both, extension=extension, grant=True, reasons="Ja.")


def test_a_returned_proposal_goes_back_to_the_officer(
    trial_in_force, applicant, case_officer, approver
):
    extension = apply(trial_in_force, applicant)
    _to_approval(extension, case_officer)
    with pytest.raises(ValidationError):
        builders.extension_complete(extension, "approve", approver, {"decision": "return"})
    builders.extension_complete(
        extension, "approve", approver, {"decision": "return", "comment": "Grunngi betre."}
    )
    assert builders.extension_step(extension) == "propose"
    assert extension.proposals.get().status == ProposalStatus.RETURNED


def test_25_months_are_refused_at_the_assessment(trial_in_force, applicant, case_officer):
    extension = apply(trial_in_force, applicant)
    builders.extension_complete(extension, "register", case_officer, {})
    with pytest.raises(ValidationError) as refused:
        builders.extension_complete(extension, "assess", case_officer, assess_payload(months=25))
    assert "24 months" in refused.value.message_dict["months"][0]
    assert builders.extension_step(extension) == "assess"


def test_until_reform_without_a_named_reform_is_refused(trial_in_force, applicant, case_officer):
    extension = apply(trial_in_force, applicant)
    builders.extension_complete(extension, "register", case_officer, {})
    reform = add_months(trial_in_force.ends_on, 6)
    with pytest.raises(ValidationError) as refused:
        builders.extension_complete(
            extension, "assess", case_officer, {"note": "Ok.", "reform_date": reform}
        )
    assert "reform_reference" in refused.value.message_dict
    builders.extension_complete(
        extension,
        "assess",
        case_officer,
        {
            "note": "Reforma tek over.",
            "reform_reference": "Prop. 12 L (2028–2029)",
            "reform_date": reform,
            "skip_consultation": True,
        },
    )
    extension.refresh_from_db()
    assert extension.until_reform and extension.reform_date == reform


def test_the_municipality_cannot_apply_for_25_months_or_a_nameless_reform(
    trial_in_force, applicant
):
    with pytest.raises(ValidationError):
        apply(trial_in_force, applicant, months=25)
    with pytest.raises(ValidationError):
        apply(trial_in_force, applicant, reform_date=timezone.localdate() + datetime.timedelta(999))


def test_decide_proposes_then_a_second_person_approves(
    trial_in_force, applicant, case_officer, approver
):
    """The trials API's "decide" route is the case's decisive step for the actor."""
    extension = apply(trial_in_force, applicant)
    with pytest.raises(ConflictError):  # still at registration
        services.extension_decide(actor=case_officer, extension=extension, grant=True, reasons="J")
    builders.extension_complete(extension, "register", case_officer, {})
    builders.extension_complete(
        extension, "assess", case_officer, {**assess_payload(), "skip_consultation": True}
    )
    services.extension_decide(actor=case_officer, extension=extension, grant=True, reasons="Ja.")
    assert builders.extension_step(extension) == "approve"
    services.extension_decide(actor=approver, extension=extension, grant=True, reasons="Ja.")
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.GRANTED


def test_an_extension_task_done_twice_is_409(trial_in_force, applicant, case_officer):
    extension = apply(trial_in_force, applicant)
    task = builders.extension_task(extension, "register")
    task_complete(actor=case_officer, task=task, payload={})
    with pytest.raises(TaskDone):
        task_complete(actor=case_officer, task=task, payload={})


def test_the_extension_case_is_in_the_officers_queue(trial_in_force, applicant, case_officer):
    extension = apply(trial_in_force, applicant)
    queued = selectors.queue(case_officer)
    assert queued.filter(process__caseprocess__extension=extension).exists()
    assert builders.extension_task(extension, "register").flow_task is ApplicationFlow.register


# --- the officer's pages -------------------------------------------------------------------------


def _client(user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_the_officer_does_the_extension_steps_on_the_task_pages(
    trial_in_force, applicant, case_officer, approver
):
    extension = apply(trial_in_force, applicant)
    officer = _client(case_officer)
    inbox = officer.get("/saksbehandling/").content.decode()
    assert "Register the application for extension" in inbox
    task = builders.extension_task(extension, "register")
    page = officer.get(f"/saksbehandling/oppgaver/{task.pk}/")
    assert page.status_code == 200 and "Vi treng meir data." in page.content.decode()
    response = officer.post(f"/saksbehandling/oppgaver/{task.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/saksbehandling/forsok/{trial_in_force.pk}/"

    task = builders.extension_task(extension, "assess")
    page = officer.get(f"/saksbehandling/oppgaver/{task.pk}/").content.decode()
    assert 'name="months"' in page and 'value="12"' in page
    response = officer.post(
        f"/saksbehandling/oppgaver/{task.pk}/", {"months": "25", "note": "Lenge."}
    )
    assert response.status_code == 200  # the form again, values kept
    assert "Ensure this value is less than or equal to 24" in response.content.decode()
    response = officer.post(
        f"/saksbehandling/oppgaver/{task.pk}/",
        {"months": "18", "note": "Trengst.", "skip_consultation": "on"},
    )
    assert response.status_code == 302
    extension.refresh_from_db()
    assert extension.months == 18

    task = builders.extension_task(extension, "propose")
    response = officer.post(
        f"/saksbehandling/oppgaver/{task.pk}/", {"decision": "grant", "reasons": "Godt."}
    )
    assert response.status_code == 302
    task = builders.extension_task(extension, "approve")
    assert officer.get(f"/saksbehandling/oppgaver/{task.pk}/").status_code == 403
    leader = _client(approver)
    page = leader.get(f"/saksbehandling/oppgaver/{task.pk}/").content.decode()
    assert "Grant the extension on the assessed terms" in page
    response = leader.post(f"/saksbehandling/oppgaver/{task.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    assert fresh(trial_in_force).ends_on == add_months(trial_in_force.ends_on, 18)


def test_the_extension_steps_over_the_tasks_api(trial_in_force, applicant, case_officer, approver):
    from rest_framework.test import APIClient

    def api(user):
        client = APIClient()
        client.force_login(user)
        return client

    extension = apply(trial_in_force, applicant)
    officer = api(case_officer)
    register = builders.extension_task(extension, "register")
    assert (
        officer.post(f"/api/v1/tasks/{register.pk}/complete/", {}, format="json").status_code == 200
    )
    assess = builders.extension_task(extension, "assess")
    response = officer.post(
        f"/api/v1/tasks/{assess.pk}/complete/",
        {"reform_date": add_months(trial_in_force.ends_on, 6).isoformat(), "note": "Reform."},
        format="json",
    )
    assert response.status_code == 400 and "reform_reference" in response.json()
    response = officer.post(
        f"/api/v1/tasks/{assess.pk}/complete/",
        {"months": 6, "note": "Seks månader held.", "skip_consultation": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    propose = builders.extension_task(extension, "propose")
    detail = officer.get(f"/api/v1/tasks/{propose.pk}/").json()
    assert detail["payload"] == "ExtensionProposalPayload" and detail["extension"] == extension.pk
    response = officer.post(
        f"/api/v1/tasks/{propose.pk}/complete/",
        {"decision": "grant", "reasons": "Grunngitt."},
        format="json",
    )
    assert response.status_code == 200, response.content
    approve = builders.extension_task(extension, "approve")
    refused = officer.post(
        f"/api/v1/tasks/{approve.pk}/complete/", {"decision": "approve"}, format="json"
    )
    assert refused.status_code == 403
    response = api(approver).post(
        f"/api/v1/tasks/{approve.pk}/complete/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert fresh(trial_in_force).ends_on == add_months(trial_in_force.ends_on, 6)
    again = api(approver).post(
        f"/api/v1/tasks/{approve.pk}/complete/", {"decision": "approve"}, format="json"
    )
    assert again.status_code == 409
