"""The letters as web pages, the organisation's postal address and the team view's select in
the browser, with axe at 1280 and at 320 px: Lillehammer's administrator records the postal
address (an error first, the values kept); the applicant reads the receipt from the
application's page; the officer reads it from the case's journal; a leader sees full names
in the reassignment select at 320 px."""

import re

import pytest
from playwright.sync_api import expect

from casework.choices import EntryType, Role
from casework.models import JournalDocument
from casework.selectors import case_for
from tests import builders
from tests.background import run_due_tasks
from tests.browser.conftest import assert_accessible
from tests.factories import member, ministry, municipality
from workflows.case import services as case_services

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def _check(page, *, reflows=True):
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    if reflows:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{page.url} scrolls sideways at 320 px ({width}px wide)"
    page.set_viewport_size({"width": 1280, "height": 900})


def _new_page(browser, site, width=1280):
    context = browser.new_context(locale="nb-NO", viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page, site, username, next_path):
    page.goto(f"{site.url}/logg-inn/?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"{re.escape(next_path)}$"))


def test_postal_address_and_the_letter_pages(site, browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    lillehammer = municipality("3405")
    member(lillehammer, Role.ADMINISTRATOR, username="admin.lh", first_name="Tone")
    applicant = member(lillehammer, Role.APPLICANT, username="applicant.lh")
    officer = member(ministry("KDD"), Role.CASE_OFFICER, username="officer", first_name="Sara")

    # The administrator records the postal address: a wrong postcode first.
    page = _new_page(browser, site)
    path = f"/organisasjon/{lillehammer.pk}/"
    _log_in(page, site, "admin.lh", path)
    expect(page.get_by_text(re.compile("No postal address is recorded"))).to_be_visible()
    page.get_by_label("Street address or PO box").fill("Postboks 986")
    page.get_by_label("Postcode").fill("26O6")
    page.get_by_label("Place (poststed)").fill("Lillehammer")
    page.get_by_role("button", name="Save the postal address").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("four digits")
    expect(page.get_by_label("Street address or PO box")).to_have_value("Postboks 986")
    expect(page.get_by_label("Place (poststed)")).to_have_value("Lillehammer")
    _check(page)
    page.get_by_label("Postcode").fill("2626")
    page.get_by_role("button", name="Save the postal address").click()
    expect(page.get_by_text("The postal address has been saved.")).to_be_visible()
    _check(page)
    lillehammer.refresh_from_db()
    assert lillehammer.postal_address == "Postboks 986\n2626 Lillehammer"
    page.context.close()

    # The application is registered: the receipt goes out with that address.
    application = builders.submit(
        builders.ready(actor=applicant, organisation=lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    case_services.task_claim(actor=officer, task=task)
    case_services.task_complete(actor=officer, task=task, payload={"letter_language": "nb"})
    run_due_tasks()
    receipt = JournalDocument.objects.get(
        entry__case=case_for(application), entry__entry_type=EntryType.OUTGOING, is_main=True
    )
    assert receipt.letter

    # The applicant reads it from the application's page.
    page = _new_page(browser, site)
    _log_in(page, site, "applicant.lh", f"/mine-soknader/{application.pk}/")
    letters = page.get_by_role("region", name="Letters from the ministry")
    expect(letters).to_be_visible()
    _check(page)
    letters.get_by_role("link", name=receipt.title, exact=True).click()
    page.wait_for_url(re.compile(rf"/mine-soknader/{application.pk}/brev/{receipt.pk}/$"))
    article = page.locator("article.letter")
    expect(article).to_contain_text("Postboks 986")
    expect(article).to_contain_text("2626 Lillehammer")
    assert article.get_attribute("lang") == receipt.language
    expect(page.get_by_role("link", name="The letter as sent (PDF)")).to_be_visible()
    _check(page)
    page.context.close()

    # The officer reads it from the case's journal, and sees the address on the case page.
    page = _new_page(browser, site)
    _log_in(page, site, "officer", f"/saksbehandling/saker/{application.pk}/")
    expect(page.get_by_text("Postboks 986")).to_be_visible()
    page.get_by_role(
        "link", name=re.compile(rf"^web page\s*:\s*{re.escape(receipt.title)}")
    ).click()
    page.wait_for_url(re.compile(rf"/saksbehandling/saker/{application.pk}/brev/{receipt.pk}/$"))
    expect(page.locator("article.letter")).to_contain_text("2626 Lillehammer")
    _check(page)
    page.context.close()


def test_the_team_view_shows_full_names_in_the_reassignment_select_at_320_px(site, browser):
    lillehammer = municipality("3405")
    kdd = ministry("KDD")
    applicant = member(lillehammer, Role.APPLICANT, username="applicant.lh")
    officer = member(kdd, Role.CASE_OFFICER, username="officer", first_name="Sara")
    member(kdd, Role.APPROVER, username="leder", first_name="Ola", last_name="Leder")
    long_name = ("Ingrid", "Nordmann-Berg")
    member(kdd, Role.CASE_OFFICER, username="kari", first_name=long_name[0], last_name=long_name[1])
    application = builders.submit(
        builders.ready(actor=applicant, organisation=lillehammer), actor=applicant
    )
    task = builders.open_task(application, "register")
    case_services.task_claim(actor=officer, task=task)

    page = _new_page(browser, site, width=320)
    _log_in(page, site, "leder", "/saksbehandling/team/")
    select = page.get_by_label(re.compile("^Give .Register the application"))
    expect(select).to_be_visible()
    select.select_option(label=" ".join(long_name))
    # The whole name fits inside the select (its text is not cut off).
    fits = select.evaluate(
        """(el) => {
            const style = getComputedStyle(el);
            const canvas = document.createElement('canvas').getContext('2d');
            canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const widest = Math.max(...[...el.options].map(o => canvas.measureText(o.text).width));
            const inner = el.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return {widest, inner, right: el.getBoundingClientRect().right};
        }"""
    )
    assert fits["widest"] <= fits["inner"], fits
    assert fits["right"] <= 320, fits
    _check(page)
    page.context.close()


def test_the_consulted_ministry_reads_its_consultation_letter(site, browser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    lillehammer = municipality("3405")
    applicant = member(lillehammer, Role.APPLICANT, username="applicant.lh")
    kdd = ministry("KDD")
    staff = builders.staff(
        officer=member(kdd, Role.CASE_OFFICER, username="officer", first_name="Sara"),
        approver=member(kdd, Role.APPROVER, username="leder", first_name="Ola"),
        KD=member(ministry("KD"), Role.CONSULTEE, username="fagdep.kd", first_name="Per"),
    )
    application = builders.submit(
        builders.ready(actor=applicant, organisation=lillehammer), actor=applicant
    )
    builders.advance(application, to="consult", staff=staff, letter_language="nb")
    task = builders.open_task(application, "consult")
    case_services.task_claim(actor=staff.consultee(ministry("KD")), task=task)

    page = _new_page(browser, site)
    _log_in(page, site, "fagdep.kd", f"/saksbehandling/oppgaver/{task.pk}/")
    page.get_by_role("link", name="Read the consultation letter").click()
    page.wait_for_url(re.compile(rf"/saksbehandling/saker/{application.pk}/brev/\d+/$"))
    article = page.locator("article.letter")
    expect(article).to_contain_text(application.title)
    _check(page)
    page.context.close()
