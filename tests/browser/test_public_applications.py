"""The public side in Chromium: front page, search with a filter, an application, a
municipality; axe-core on every page, keyboard only, and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.fixtures import five_applications, open_call

pytestmark = pytest.mark.browser


@pytest.fixture
def dataset(site, media_root):
    """The public tests' five applications (tests/fixtures.py), built for each test here: the
    live server sees only committed rows, not a module's shared ones."""
    return five_applications(open_call())


@pytest.fixture
def english(page, site):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    return page


def test_a_reader_finds_and_follows_an_application(site, english, dataset):
    page = english
    main = page.get_by_role("main")
    health = dataset["health"]

    page.goto(site.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Trials in public administration"
    assert main.get_by_role("link", name=health.title).count() >= 1
    assert_accessible(page)

    # Search from the front page with the keyboard only.
    page.get_by_label("Search the applications").focus()
    page.keyboard.type("Bodø")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/soknader/\?q=Bod"))
    assert page.get_by_role("status").inner_text().startswith("2 applications")
    assert_accessible(page)

    # Narrow with a filter: the form is an ordinary GET form, the address can be shared.
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Show applications").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"status=approved"))
    assert page.get_by_role("status").inner_text().startswith("1 application")
    assert page.get_by_label("Status").input_value() == "approved"
    assert_accessible(page)

    # The application's page.
    main.get_by_role("link", name=health.title).click()
    page.wait_for_url(re.compile(rf"/soknader/{health.reference}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == health.title
    expect(page.get_by_role("heading", name=re.compile("^Status: Approved"))).to_be_visible()
    assert page.locator('link[rel="alternate"][type="application/atom+xml"]').count() >= 3
    assert_accessible(page)

    # The applicant's page.
    main.get_by_role("link", name="Bodø", exact=True).first.click()
    page.wait_for_url(re.compile(r"/kommuner/1804/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Bodø"
    assert page.get_by_role("table", name="Trials").get_by_role("link").count() == 1
    assert_accessible(page)


def test_search_pagination_and_pages_work_without_javascript(site, browser, dataset):
    context = browser.new_context(java_script_enabled=False, locale="nb-NO")
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(site.url + "/soknader/")
    page.get_by_label("Search words").fill("barnevern")
    page.get_by_label("County").select_option("34")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=barnevern.*county=34"))
    results = page.get_by_role("main").locator(".result-title a")
    assert results.all_inner_texts() == ["Felles barnevern i regionen"]
    results.first.click()
    page.wait_for_url(re.compile(rf"/soknader/{dataset['joint'].reference}/$"))
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    context.close()  # (axe-core itself needs JavaScript: checked in the test above)


def test_choosing_a_language_is_not_hidden_by_the_cache(site, page, dataset):
    page.goto(site.url + "/soknader/")
    assert page.locator("html").get_attribute("lang") == "nb"
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/soknader/$"))
    # The same address again: wait for the new page rather than read the old one.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Applications")
