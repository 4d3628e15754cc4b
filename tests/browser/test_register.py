"""The exemption register, one act's register, the statistics and the law register's counts
in a real browser, with axe-core (WCAG 2.1 A and AA) on every page.

The demo data (workflows.demo.seed, driven through the real case process) gives applications in
every state and trials in every status, two of them in force today.
"""

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser

HOL = "LOV-2011-06-24-30"  # helse- og omsorgstjenesteloven: the demo's approved trial
OPPL = "LOV-2023-06-09-30"


@pytest.fixture
def demo(site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", stdout=devnull)
    return site


@pytest.fixture
def english(page, demo):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": demo.url}])
    return page


def test_register_act_register_statistics_and_law_page_are_accessible(demo, english):
    page = english
    main = page.get_by_role("main")

    page.goto(demo.url + "/unntak/")
    assert page.get_by_role("heading", level=1).inner_text() == "Exemption register"
    expect(main.get_by_role("table", name=re.compile("per act or regulation"))).to_be_visible()
    expect(main.get_by_text("In force today").first).to_be_visible()
    assert_accessible(page)

    # The section search jumps to the section on the act's own page.
    main.get_by_label("Find a section").fill("oppl. § 14-2")
    main.get_by_role("button", name="Find").click()
    page.wait_for_url(re.compile(rf"/unntak/{OPPL}/\?section=14-2#14-2$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Exemptions from opplæringslova"
    expect(page.locator('[id="14-2"]')).to_be_visible()
    assert_accessible(page)

    # Filters work without JavaScript-free tricks: a plain GET form.
    main.get_by_label("Outcome", exact=True).select_option("refused")
    main.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"outcome=refused"))
    assert main.get_by_role("status").inner_text().startswith("1 request for exemption")
    assert_accessible(page)

    page.goto(demo.url + "/statistikk/")
    assert page.get_by_role("heading", level=1).inner_text() == "Statistics"
    chart = page.get_by_role("img", name=re.compile("Applications by status"))
    expect(chart).to_be_visible()
    main.get_by_text("The figures as a table: Applications by status").click()
    expect(main.get_by_role("table", name="Applications by status")).to_be_visible()
    assert_accessible(page)

    page.goto(demo.url + f"/lover/{HOL}/")
    assert_accessible(page)
    main.get_by_role("link", name=re.compile(r"requests for exemption from § 3-3")).click()
    page.wait_for_url(re.compile(rf"/unntak/{HOL}/#3-3$"))
    expect(page.locator('[id="3-3"]')).to_be_visible()
    assert_accessible(page)


def test_register_and_statistics_work_without_javascript(demo, browser):
    context = browser.new_context(java_script_enabled=False, locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(demo.url + "/statistikk/")
    assert page.locator("svg[role=img]").count() == 9
    assert page.locator("details table caption").count() == 9
    page.goto(demo.url + "/unntak/")
    page.locator("#f-in_force").check()
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"in_force=true"))
    # In force today: the health trial and the kindergarten one extended until a reform.
    assert page.locator("table.register-table tbody tr").count() == 2
    context.close()
