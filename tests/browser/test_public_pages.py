import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_front_page_law_register_and_act_page_have_no_accessibility_violations(site, page):
    page.goto(site.url + "/")
    assert page.title().endswith("Frikommune")
    assert_accessible(page)

    page.get_by_role("navigation", name=re.compile("Hovedmeny|Main menu")).get_by_role(
        "link", name=re.compile("Lovregister|Law register")
    ).click()
    page.wait_for_url(re.compile(r"/lover/$"))
    expect(page.get_by_role("heading", level=2, name="Kunnskapsdepartementet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Opplæringslova", exact=True).click()
    page.wait_for_url(re.compile(r"/lover/LOV-2023-06-09-30/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Opplæringslova"
    assert page.get_by_role("rowheader", name=re.compile(r"§ 13-1\b")).count() == 1
    assert_accessible(page)


def test_accessibility_statement_is_linked_from_every_page_footer(site, page):
    page.goto(site.url + "/lover/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name=re.compile("ilgjengelig|ccessib")).click()
    page.wait_for_url(re.compile(r"/tilgjengelighet/$"))
    assert_accessible(page)


def test_language_switcher_changes_the_page_language_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/lover/")
    assert page.locator("html").get_attribute("lang") == "nb"

    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/lover/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Law register"

    page.get_by_role("button", name="Nynorsk", exact=False).click()
    assert page.locator("html").get_attribute("lang") == "nn"
    context.close()


def test_skip_link_moves_keyboard_focus_to_the_main_content(site, page):
    page.goto(site.url + "/lover/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_law_register_search_works_with_keyboard_only(site, page):
    page.goto(site.url + "/lover/")
    page.get_by_label(re.compile("Søk|Search")).fill("barnehage")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=barnehage"))
    assert page.get_by_role("link", name="Barnehageloven").count() == 1
    assert page.get_by_role("link", name="Opplæringslova").count() == 0
    assert_accessible(page)
