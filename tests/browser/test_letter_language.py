"""The written language form in the browser, with axe at 1280 and at 320 px: Lillehammer's
administrator records "neutral" on the organisation's page; the case officer registering its
application is asked to choose the receipt's written form, gets a clear error without one,
and the receipt is written in the form chosen."""

import re

import pytest
from playwright.sync_api import expect

from casework.choices import EntryType, Role
from casework.models import JournalDocument
from casework.selectors import case_for
from tests import builders
from tests.browser.conftest import assert_accessible
from tests.factories import member, ministry, municipality
from workflows.case import services as case_services

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def _check(page):
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def _new_page(browser, site):
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page, site, username, next_path):
    page.goto(f"{site.url}/logg-inn/?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def test_a_neutral_organisation_and_the_officers_choice_of_written_form(
    site, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    lillehammer = municipality("3405")
    member(lillehammer, Role.ADMINISTRATOR, username="admin.lh", first_name="Tone")
    applicant = member(lillehammer, Role.APPLICANT, username="applicant.lh")
    officer = member(ministry("KDD"), Role.CASE_OFFICER, username="officer", first_name="Sara")

    # The administrator records that Lillehammer has not chosen a written form.
    page = _new_page(browser, site)
    _log_in(page, site, "admin.lh", f"/organisasjon/{lillehammer.pk}/")
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    form = page.get_by_role("group", name=re.compile("Written language form"))
    assert form.get_by_label("Bokmål").is_checked()
    _check(page)
    form.get_by_label("Neutral: no choice made").check()
    page.get_by_label(re.compile("Reason or decision")).fill("Kommunestyret har ikkje vedteke")
    page.get_by_role("button", name="Save the written form").click()
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    expect(page.get_by_text("The written language form has been saved.")).to_be_visible()
    expect(page.get_by_text("Recorded now: Neutral (no choice).")).to_be_visible()
    _check(page)
    lillehammer.refresh_from_db()
    assert lillehammer.language_form == ""
    page.context.close()

    # The officer registers Lillehammer's application and must choose the receipt's form.
    application = builders.submit(
        builders.ready(actor=applicant, organisation=lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    case_services.task_claim(actor=officer, task=task)
    page = _new_page(browser, site)
    task_path = f"/saksbehandling/oppgaver/{task.pk}/"
    _log_in(page, site, "officer", task_path)
    page.wait_for_url(re.compile(rf"{task_path}$"))
    main = page.get_by_role("main")
    expect(main.get_by_text(re.compile("Lillehammer is neutral"))).to_be_visible()
    _check(page)
    main.get_by_role("button", name="Register the application").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(
        main.get_by_text(re.compile("choose the written form of the letter")).first
    ).to_be_visible()
    _check(page)
    main.get_by_role("group", name=re.compile("Written form of the letter")).get_by_label(
        "Nynorsk"
    ).check()
    main.get_by_role("button", name="Register the application").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/saker/{application.pk}/$"))
    _check(page)
    receipt = JournalDocument.objects.get(
        entry__case=case_for(application), entry__entry_type=EntryType.OUTGOING, is_main=True
    )
    assert receipt.language == "nn"
    page.context.close()
