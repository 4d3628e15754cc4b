"""A case from the queue to the decision letter in the browser, with axe on every page:
a KDD case officer registers, checks and assesses it, a line ministry answers the
consultation, the officer proposes and a leader approves.

The pages are shown in English (the language cookie) so the test reads the source texts.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.choices import Role
from legal.models import Provision
from tests.browser.conftest import assert_accessible
from tests.builders import OPPL_13_1
from tests.factories import member, ministry, municipality
from trials import services as trials
from trials.choices import ApplicationStatus, Purpose, Stage
from trials.models import Application

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def _people():
    lillehammer = municipality("3405")
    return {
        "applicant": member(
            lillehammer, Role.APPLICANT, username="siri", first_name="Siri", last_name="Haugen"
        ),
        "officer": member(
            ministry("KDD"), Role.CASE_OFFICER, username="sara", first_name="Sara", last_name="Lund"
        ),
        "consultee": member(
            ministry("KD"), Role.CONSULTEE, username="per", first_name="Per", last_name="Dahl"
        ),
        "approver": member(
            ministry("KDD"), Role.APPROVER, username="leder", first_name="Ola", last_name="Hansen"
        ),
    }


def _submitted_application(applicant) -> Application:
    """A preliminary application from Lillehammer, built and submitted with the services."""
    lillehammer = municipality("3405")
    application = trials.application_create(
        actor=applicant,
        lead_organisation=lillehammer,
        title="Tilpassa skuledag i staden for bortvising",
        stage=Stage.PRELIMINARY,
        description="Skulane prøver ei ny ordning for bortvising.",
        period_months=24,
        requested_start=timezone.localdate() + datetime.timedelta(days=120),
    )
    trials.exemption_request_create(
        actor=applicant,
        application=application,
        provision=Provision.objects.get(citation_key=OPPL_13_1),
        current_rule="Eleven kan visast bort for inntil tre dagar.",
        proposed_arrangement="Rektor kan i staden vedta ein tilpassa skuledag.",
        justification="Bortvising fører til fråvær utan læring.",
    )
    trials.application_set_purposes(
        actor=applicant,
        application=application,
        purposes={Purpose.BETTER_SERVICES: "Elevane får betre oppfølging."},
    )
    trials.contact_add(
        actor=applicant,
        application=application,
        organisation=lillehammer,
        name="Siri Haugen",
        email="siri@lillehammer.kommune.example",
    )
    return trials.application_submit(actor=applicant, application=application)


def _new_page(browser, site):
    context = browser.new_context(locale="nb-NO")
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page, site, username):
    page.goto(site.url + "/logg-inn/?next=/saksbehandling/")
    assert_accessible(page)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/saksbehandling/$"))
    assert (
        page.get_by_role("navigation", name="Main menu")
        .get_by_role("link", name="Case handling")
        .get_attribute("aria-current")
        == "page"
    )
    assert_accessible(page)


def _open_my_task(page, site, step_title):
    page.goto(site.url + "/saksbehandling/")
    assert_accessible(page)
    mine = page.locator("#my-tasks")
    mine.get_by_role("link", name=re.compile(rf"^Open\s+{re.escape(step_title)}")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == step_title
    assert_accessible(page)


def _take_from_queue(page, step_title):
    queue = page.locator("#queue")
    queue.get_by_role("button", name=re.compile(rf"^Take\s+{re.escape(step_title)}")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == step_title
    assert_accessible(page)


def _submit(page, name, application):
    page.get_by_role("main").get_by_role("button", name=name).click()
    page.wait_for_url(re.compile(rf"/saksbehandling/saker/{application.pk}/$"))
    assert_accessible(page)


def test_a_case_goes_from_the_queue_to_the_decision_letter(site, page, browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    people = _people()
    application = _submitted_application(people["applicant"])
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    main = page.get_by_role("main")

    # The officer takes the registration from the queue and registers the application.
    _log_in(page, site, "sara")
    assert (
        page.locator("#queue")
        .get_by_role("link", name=f"{application.reference} {application.title}")
        .count()
        == 1
    )
    _take_from_queue(page, "Register the application")
    expect(main.get_by_text("Registering opens a case file")).to_be_visible()
    _submit(page, "Register the application", application)
    expect(main.get_by_text("The application is registered")).to_be_visible()
    assert main.get_by_role("figure").get_by_role("img").count() == 1
    assert (
        "Check that the application is complete"
        in main.locator('ol.step-list li[aria-current="step"]').inner_text()
    )

    # The completeness check (the case is the officer's now: it is in "My tasks").
    _open_my_task(page, site, "Check that the application is complete")
    page.get_by_label("Yes, the application is complete").check()
    _submit(page, "Save the check", application)

    # The assessment: a mistake first, shown in the error summary; then the consultation.
    _open_my_task(page, site, "Assess each requested exemption")
    exemption = application.exemption_requests.get()
    assessment = page.get_by_label(re.compile(r"^Assessment of opplæringslova § 13-1"))
    assessment.select_option("outside_limits")
    main.get_by_role("button", name="Save the assessment").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name=re.compile("Explain the assessment"))).to_be_visible()
    assert page.locator(f"#id_note_{exemption.pk}").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Assessment of opplæringslova § 13-1")).select_option(
        "within_scope"
    )
    page.get_by_label("Message for the consultation letter").fill("Vi ber om synspunkt.")
    _submit(page, "Save the assessment", application)
    expect(
        main.get_by_text(
            re.compile("In consultation with ministries|Answer the consultation")
        ).first
    ).to_be_visible()

    # The line ministry answers in its own browser.
    ministry_page = _new_page(browser, site)
    _log_in(ministry_page, site, "per")
    _take_from_queue(ministry_page, "Answer the consultation")
    ministry_page.get_by_role("group", name=re.compile("^Position on opplæringslova")).get_by_label(
        "Supports", exact=True
    ).check()
    ministry_page.get_by_label("Overall statement").fill("KD støttar forsøket.")
    _submit(ministry_page, "Send the answer", application)
    ministry_page.context.close()

    # The officer proposes: the consultation answer is shown beside the exemption.
    _open_my_task(page, site, "Propose a decision")
    expect(main.locator(".answer-list").get_by_text("Supports")).to_be_visible()
    page.get_by_role("group", name=re.compile("^Outcome for opplæringslova")).get_by_label(
        "Granted", exact=True
    ).check()
    main.get_by_role("button", name="Send the proposal for approval").click()
    expect(
        page.get_by_role("alert").get_by_role("link", name=re.compile("Summarise"))
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Summary of the decision and its reasons").fill(
        "Forsøket tener føremåla i forsøkslova § 1."
    )
    _submit(page, "Send the proposal for approval", application)

    # A leader approves in another browser.
    leader_page = _new_page(browser, site)
    _log_in(leader_page, site, "leder")
    _take_from_queue(leader_page, "Approve the proposed decision")
    expect(leader_page.get_by_text("Proposed by Sara Lund")).to_be_visible()
    leader_page.get_by_label(re.compile("Approve the proposal")).check()
    _submit(leader_page, "Confirm the decision", application)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED

    leader_page.get_by_role("link", name="Read the decision letter").click()
    leader_page.wait_for_url(re.compile(rf"/saksbehandling/saker/{application.pk}/vedtak/$"))
    letter = leader_page.locator("article.letter")
    assert "Forsøket tener føremåla i forsøkslova § 1." in letter.inner_text()
    assert_accessible(leader_page)
    leader_page.context.close()
