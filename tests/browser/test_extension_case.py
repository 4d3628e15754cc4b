"""The officers' side of an application for extension in the browser, with axe at 1280 and
320 px: the inbox lists its registration and an overdue report on a trial, the officer
registers and assesses it (25 months refused in the form, values kept) and proposes, a
leader approves; a leader gives the trial's follow-up to another officer from the team view.

The pages are shown in English (the language cookie) so the test reads the source texts.
"""

import datetime
import os
import re

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from casework.choices import Role
from tests import builders
from tests.browser.conftest import assert_accessible
from tests.browser.test_workspace import PASSWORD
from tests.factories import person
from trials import services
from trials.choices import ObligationKind
from trials.models import Trial

pytestmark = pytest.mark.browser


def _log_in(page, site, username, next_url="/saksbehandling/"):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page.goto(f"{site.url}/logg-inn/?next={next_url}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def _both_widths(page) -> None:
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def trial(site, applicant, staff, media_root, settings):
    """Lillehammer's trial in force, with a report that passed its due date (the follow-up
    timer gave the officer a task) and an application for extension of 12 months."""
    approved = builders.trial(actor=applicant, organisation=applicant_org(applicant), staff=staff)
    builders.regulation(approved, officer=staff.officer)
    due = timezone.localdate() - datetime.timedelta(days=2)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10), tick=False):
        services.obligation_add(
            actor=staff.officer, trial=approved, kind=ObligationKind.ANNUAL_REPORT, due_on=due
        )
    with open(os.devnull, "w") as devnull:
        call_command("workflow_timers", stdout=devnull)
    services.extension_apply(
        actor=applicant, trial=approved, months=12, justification="Vi treng eitt år til."
    )
    return Trial.objects.get(pk=approved.pk)


def applicant_org(user):
    return user.memberships.get(role=Role.APPLICANT).organisation


def test_the_officer_handles_an_application_for_extension(site, page, trial, staff):
    page.set_viewport_size({"width": 1280, "height": 900})
    main = page.get_by_role("main")
    _log_in(page, site, staff.officer.username)
    expect(
        main.get_by_role("cell", name="A report on a trial is overdue: follow it up", exact=True)
    ).to_be_visible()
    expect(
        main.get_by_role("cell", name="Register the application for extension", exact=True)
    ).to_be_visible()
    _both_widths(page)

    main.get_by_role(
        "link", name=re.compile("^Look first Register the application for ext")
    ).click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    expect(main.get_by_text("Vi treng eitt år til.")).to_be_visible()
    _both_widths(page)
    main.get_by_role("button", name="Register the application for extension").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))
    expect(main.get_by_role("link", name="Assess the terms of the extension")).to_be_visible()
    _both_widths(page)

    main.get_by_role("link", name="Assess the terms of the extension").click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    main.get_by_label("Extend by (months)").fill("25")
    main.get_by_label("Your assessment").fill("Dei treng tid.")
    main.get_by_role("button", name="Save the assessment").click()
    expect(main.get_by_role("alert")).to_be_visible()
    assert main.get_by_label("Your assessment").input_value() == "Dei treng tid."
    _both_widths(page)
    main.get_by_label("Extend by (months)").fill("12")
    main.get_by_role("button", name="Save the assessment").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))

    # the line ministry (KD, opplæringslova) answers in its own inbox
    extension = trial.extensions.get()
    consult = builders.extension_task(extension, "consult")
    consultation = extension.consultations.get()
    positions = {e.pk: {"position": "supports"} for e in consultation.exemptions.all()}
    builders.extension_complete(
        extension, "consult", staff.consultee(consultation.ministry), {"positions": positions}
    )
    assert consult is not None

    page.goto(site.url + f"/saksbehandling/forsok/{trial.pk}/")
    main.get_by_role("link", name="Propose a decision on the extension").click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    _both_widths(page)
    main.get_by_label("Grant the extension on the assessed terms").check()
    main.get_by_label("Reasons").fill("Forsøket gir verdifull kunnskap.")
    main.get_by_role("button", name="Send the proposal for approval").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))

    _log_in(page, site, staff.approver.username)
    main.get_by_role("link", name=re.compile("^Look first Approve the decision on the ext")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    _both_widths(page)
    main.get_by_label(re.compile("Approve the proposal")).check()
    main.get_by_role("button", name="Confirm the decision").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))
    from trials.rules import add_months

    assert Trial.objects.get(pk=trial.pk).ends_on == add_months(trial.ends_on, 12)


def test_a_leader_gives_the_follow_up_to_another_officer(site, page, trial, staff, kdd):
    other = person(kdd, Role.CASE_OFFICER, "per.kdd", first_name="Per", last_name="Berg")
    leader = staff.approver
    page.set_viewport_size({"width": 1280, "height": 900})
    main = page.get_by_role("main")
    _log_in(page, site, leader.username, "/saksbehandling/team/")
    expect(main.get_by_role("heading", name="Who follows up the trials in force")).to_be_visible()
    _both_widths(page)
    main.get_by_label(re.compile("^Case officer following up")).select_option(str(other.pk))
    with page.expect_navigation(url=re.compile(r"/saksbehandling/team/")):  # the same address
        main.locator(f"#trial-{trial.pk}").get_by_role(
            "button", name=re.compile("^Reassign")
        ).click()
    assert Trial.objects.get(pk=trial.pk).officer == other
    _log_in(page, site, other.username)
    expect(
        main.get_by_role("cell", name="A report on a trial is overdue: follow it up", exact=True)
    ).to_be_visible()


def test_the_extension_has_its_case_page_and_the_municipality_follows_it(
    site, page, trial, staff, applicant
):
    """The officer opens the extension's case from the trial; the municipality sees where
    its application for extension is."""
    page.set_viewport_size({"width": 1280, "height": 900})
    main = page.get_by_role("main")
    _log_in(page, site, staff.officer.username, f"/saksbehandling/forsok/{trial.pk}/")
    expect(main.get_by_role("link", name=re.compile("^The case of the extension"))).to_be_visible()
    main.get_by_role("link", name=re.compile("^Open the case of the extension")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/forlengelser/\d+/$"))
    expect(main.get_by_role("heading", name="The terms and the legal limit")).to_be_visible()
    expect(
        main.get_by_role("rowheader", name="Register the application for extension")
    ).to_be_visible()
    terms = main.get_by_role("region", name="The terms and the legal limit")
    expect(terms.get_by_text("Vi treng eitt år til.")).to_be_visible()
    expect(main.get_by_role("cell", name="Extension applied for")).to_be_visible()  # history
    _both_widths(page)

    _log_in(page, site, applicant.username, f"/mine-forsok/{trial.pk}/")
    extensions = main.locator("section", has=page.get_by_role("heading", name="Extensions"))
    expect(extensions.get_by_text("Applied for", exact=True)).to_be_visible()
    expect(extensions.get_by_text("The ministry has received the application")).to_be_visible()
    _both_widths(page)


@pytest.fixture
def trial_without_application(site, applicant, staff, media_root, settings):
    approved = builders.trial(actor=applicant, organisation=applicant_org(applicant), staff=staff)
    builders.regulation(approved, officer=staff.officer)
    return Trial.objects.get(pk=approved.pk)


def test_kdd_extends_on_its_own_initiative_with_a_second_persons_approval(
    site, page, trial_without_application, staff
):
    trial = trial_without_application
    page.set_viewport_size({"width": 1280, "height": 900})
    main = page.get_by_role("main")
    _log_in(page, site, staff.officer.username, f"/saksbehandling/forsok/{trial.pk}/")
    main.get_by_role("link", name="Propose to extend the trial").click()
    page.wait_for_url(re.compile(r"/forleng/$"))
    main.get_by_label("Extend by (months)").fill("6")
    main.get_by_label("Reasons").fill("Reforma kjem seinare enn venta.")
    main.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))
    expect(main.get_by_text("The extension is proposed.")).to_be_visible()
    extensions = main.locator("section", has=page.get_by_role("heading", name="Extensions"))
    expect(extensions.get_by_text("Decision proposed", exact=True)).to_be_visible()
    assert Trial.objects.get(pk=trial.pk).ends_on == trial.ends_on  # nothing moved yet
    _both_widths(page)

    _log_in(page, site, staff.approver.username)
    main.get_by_role("link", name=re.compile("^Look first Approve the decision on the ext")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/oppgaver/\d+/$"))
    main.get_by_label(re.compile("Approve the proposal")).check()
    main.get_by_role("button", name="Confirm the decision").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/forsok/{trial.pk}/$"))
    from trials.rules import add_months

    assert Trial.objects.get(pk=trial.pk).ends_on == add_months(trial.ends_on, 6)
    main.get_by_role("link", name=re.compile("^The case of the extension")).click()
    page.wait_for_url(re.compile(r"/saksbehandling/forlengelser/\d+/$"))
    expect(main.get_by_text("The process is finished: no step is open.")).to_be_visible()
    _both_widths(page)
