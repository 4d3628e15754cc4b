"""The register of trials (/forsok/, /forsok/<id>/) and the municipality's trial page in a
real browser, with axe-core (WCAG 2.1 A and AA) at desktop width and at 320 px. The demo
data has trials in every status (seed_demo)."""

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from workflows.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.browser

HEALTH = "Helsestasjon og skolehelsetjeneste i én tjeneste"  # Bodø, in force, a report due
KINDERGARTEN = "Felles barnehagemyndighet i Lillehammer-regionen"  # extended until a reform


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


def both_widths(page) -> None:
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_register_of_trials_and_a_trial_page(demo, english):
    page = english
    main = page.get_by_role("main")
    page.goto(demo.url + "/")
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Trials", exact=True
    ).click()
    page.wait_for_url(re.compile(r"/forsok/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Trials"
    assert main.get_by_role("status").inner_text().startswith("5 trials")
    both_widths(page)

    main.get_by_label("Status").select_option("made_permanent")
    main.get_by_role("button", name="Show trials").click()
    page.wait_for_url(re.compile(r"status=made_permanent"))
    assert main.get_by_role("status").inner_text().startswith("1 trial")
    expect(main.locator(".result").get_by_text("Made permanent")).to_be_visible()

    page.goto(demo.url + "/forsok/?q=barnehagemyndighet")
    main.get_by_role("link", name=KINDERGARTEN).click()
    page.wait_for_url(re.compile(r"/forsok/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == KINDERGARTEN
    expect(main.get_by_text(re.compile("until the reform .Ny barnehagelov"))).to_be_visible()
    expect(main.get_by_role("heading", name="Granted exemptions")).to_be_visible()
    expect(main.get_by_role("link", name=re.compile(r"The case: application FRI-"))).to_be_visible()
    both_widths(page)


def test_the_municipality_reports_on_its_trial(demo, english):
    page = english
    main = page.get_by_role("main")
    page.goto(demo.url + "/logg-inn/?next=/mine-forsok/")
    page.get_by_label("User name").fill("bodo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    main.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/mine-forsok/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "My trials"
    both_widths(page)

    main.get_by_role("link", name=HEALTH).click()
    page.wait_for_url(re.compile(r"/mine-forsok/\d+/$"))
    expect(main.get_by_role("heading", name="Follow-up obligations")).to_be_visible()
    both_widths(page)

    main.get_by_role("link", name="Submit a report").click()
    page.wait_for_url(re.compile(r"/rapport/$"))
    main.get_by_role("button", name="Send").click()  # empty: the errors are listed
    expect(main.get_by_role("alert")).to_be_visible()
    both_widths(page)
    main.get_by_label("Title").fill("Rapport om første driftsår")
    main.get_by_label(re.compile(r"^Report\b")).fill("Ventetida gjekk ned frå 30 til 12 dagar.")
    main.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/mine-forsok/\d+/$"))
    expect(main.get_by_role("heading", name="Rapport om første driftsår")).to_be_visible()
