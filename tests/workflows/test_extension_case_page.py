"""The case page of an application for extension (and of KDD's own proposal to extend):
its terms against the legal limit, open steps and who has them, the process, consultations
and answers, proposals and decision, journal and history; linked from the task pages, the
inbox and the trial's officer page; a consulted ministry sees it without KDD's internal work
before the decision, everyone else gets 404."""

import pytest
from django.conf import settings
from django.test import Client

from tests import builders
from tests.background import run_due_tasks
from trials import services
from trials.rules import add_months, latest_extended_end

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def url(extension) -> str:
    return f"/saksbehandling/forlengelser/{extension.pk}/"


def apply(trial, applicant):
    return services.extension_apply(
        actor=applicant, trial=trial, months=12, justification="Vi treng meir data."
    )


def page(user, extension) -> str:
    response = client_for(user).get(url(extension))
    assert response.status_code == 200
    return response.content.decode()


def test_the_officer_follows_the_extension_on_its_case_page(
    trial_in_force, applicant, case_officer, approver, consultee
):
    extension = apply(trial_in_force, applicant)
    html = page(case_officer, extension)
    assert "Vi treng meir data." in html  # the justification
    assert "Register the application for extension" in html and "In the queue" in html
    assert add_months(trial_in_force.ends_on, 12).isoformat() in html  # the date asked for
    legal = latest_extended_end(trial_in_force.period_ends_on).isoformat()
    assert "24 months are left" in html and "forsøksloven § 3" in html
    assert legal  # the limit's date is rendered in the page's date format

    builders.extension_complete(extension, "register", case_officer, {})
    builders.extension_complete(
        extension, "assess", case_officer, {"note": "Godt grunngitt internt.", "months": 12}
    )
    html = page(case_officer, extension)
    assert "In consultation" in html
    assert "Godt grunngitt internt." in html  # KDD sees its assessment
    assert "Application for extension registered" in html  # the history
    assert "Application for extension assessed" in html
    assert "Saksbehandler" in html or "Sara" in html  # who did it and who holds the task
    assert "Answer the consultation" in html
    extension.refresh_from_db()
    assert f"entry-{extension.application_entry_id}" in html  # the journal
    consultation = extension.consultations.get()
    assert f"entry-{consultation.letter_id}" in html

    positions = {e.pk: {"position": "supports"} for e in consultation.exemptions.all()}
    builders.extension_complete(
        extension, "consult", consultee, {"positions": positions, "statement": "KD støttar."}
    )
    builders.extension_complete(
        extension, "propose", case_officer, {"decision": "grant", "reasons": "Verdifullt."}
    )
    html = page(case_officer, extension)
    assert "KD støttar." in html  # the answer
    assert "Decision proposed" in html and "Verdifullt." in html and "Awaiting approval" in html
    assert "Approve the decision on the extension" in html

    builders.extension_complete(extension, "approve", approver, {"decision": "approve"})
    run_due_tasks()
    extension.refresh_from_db()
    html = page(case_officer, extension)
    assert "Granted" in html and "Trial extended" in html
    assert f"entry-{extension.letter_id}" in html
    assert "The process is finished" in html
    # the task view of a done task leads back to this page
    done = builders.ApplicationFlow.task_class.objects.filter(
        process__caseprocess__extension=extension, flow_task=builders.ApplicationFlow.approve
    ).get()
    response = client_for(approver).get(f"/saksbehandling/oppgaver/{done.pk}/")
    assert response["Location"] == url(extension)


def test_the_case_page_is_linked_from_the_inbox_the_task_and_the_trial(
    trial_in_force, applicant, case_officer
):
    extension = apply(trial_in_force, applicant)
    officer = client_for(case_officer)
    assert url(extension) in officer.get("/saksbehandling/").content.decode()
    task = builders.extension_task(extension, "register")
    assert url(extension) in officer.get(f"/saksbehandling/oppgaver/{task.pk}/").content.decode()
    trial_page = officer.get(f"/saksbehandling/forsok/{trial_in_force.pk}/").content.decode()
    assert url(extension) in trial_page


def test_kdds_own_proposal_has_a_case_page_at_its_approval(trial_in_force, case_officer, approver):
    extension = services.trial_extend(
        actor=case_officer, trial=trial_in_force, months=6, reasons="Vi forlengjer sjølve."
    )
    html = page(approver, extension)
    assert "Extension on the ministry&#x27;s own initiative" in html or "own initiative" in html
    assert "Approve the decision on the extension" in html
    assert "Vi forlengjer sjølve." in html
    assert "Extension proposed on KDD" in html  # the history


def test_a_consulted_ministry_sees_the_case_but_not_kdds_internal_work(
    trial_in_force, applicant, case_officer, consultee, hod_consultee, bodo_applicant
):
    extension = apply(trial_in_force, applicant)
    builders.extension_complete(extension, "register", case_officer, {})
    builders.extension_complete(
        extension, "assess", case_officer, {"note": "Intern vurdering.", "months": 12}
    )
    html = page(consultee, extension)  # KD is consulted (opplæringslova)
    assert "Answer the consultation" in html
    assert "Intern vurdering." not in html
    assert "Application for extension assessed" not in html  # no history before the decision
    for outsider in (hod_consultee, applicant, bodo_applicant):
        assert client_for(outsider).get(url(extension)).status_code == 404


def test_an_unknown_extension_is_404(case_officer):
    assert client_for(case_officer).get("/saksbehandling/forlengelser/999999/").status_code == 404


def test_the_applications_case_page_links_its_extensions(trial_in_force, applicant, case_officer):
    extension = apply(trial_in_force, applicant)
    application = trial_in_force.application
    html = client_for(case_officer).get(f"/saksbehandling/saker/{application.pk}/").content
    assert url(extension) in html.decode()


def test_screening_an_entry_from_the_extensions_page_returns_to_it(
    trial_in_force, applicant, case_officer
):
    extension = apply(trial_in_force, applicant)
    builders.extension_complete(extension, "register", case_officer, {})
    extension.refresh_from_db()
    entry = extension.application_entry
    application = trial_in_force.application
    officer = client_for(case_officer)
    assert f"screen-{entry.pk}-basis" in page(case_officer, extension)
    response = officer.post(
        f"/saksbehandling/saker/{application.pk}/journal/{entry.pk}/skjerming/",
        {
            f"screen-{entry.pk}-basis": "offl_13",
            f"screen-{entry.pk}-words": "",
            f"screen-{entry.pk}-reason": "Teieplikt.",
            "next": url(extension),
        },
    )
    assert response["Location"] == f"{url(extension)}#entry-{entry.pk}"
    entry.refresh_from_db()
    assert entry.screening_basis == "offl_13"
    response = officer.post(  # never to another site
        f"/saksbehandling/saker/{application.pk}/journal/{entry.pk}/skjerming/",
        {
            f"screen-{entry.pk}-basis": "",
            f"screen-{entry.pk}-reason": "Ope.",
            "next": "https://x.example/",
        },
    )
    assert response["Location"] == f"/saksbehandling/saker/{application.pk}/#entry-{entry.pk}"


def test_the_applications_case_keeps_to_its_own_consultations(
    trial_in_force, applicant, case_officer, consultee
):
    """The extension's consultation and its answers are on the extension's case, not among
    the application's own on its case page or in the cases API."""
    application = trial_in_force.application
    own = set(application.consultations.values_list("pk", flat=True))
    extension = apply(trial_in_force, applicant)
    builders.extension_complete(extension, "register", case_officer, {})
    builders.extension_complete(
        extension, "assess", case_officer, {"note": "Vurdert.", "months": 12}
    )
    consultation = extension.consultations.get()
    positions = {
        e.pk: {"position": "opposes", "statement": "Ikkje meir."}
        for e in consultation.exemptions.all()
    }
    builders.extension_complete(
        extension, "consult", consultee, {"positions": positions, "statement": "KD er imot."}
    )

    html = client_for(case_officer).get(f"/saksbehandling/saker/{application.pk}/").content
    assert "KD er imot." not in html.decode()
    assert "KD er imot." in page(case_officer, extension)

    data = client_for(case_officer).get(f"/api/v1/cases/{application.pk}/").json()
    assert {c["id"] for c in data["consultations"]} == own
    answers = [a for e in data["exemptions"] for a in e["consultation_answers"]]
    assert "KD er imot." not in {a["statement"] for a in answers}
    assert "opposes" not in {a["position"] for a in answers}
