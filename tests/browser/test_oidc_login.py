"""Logging in through an OIDC provider in a real browser: the login page, the provider's
page, back to the portal; and logging out of both. The provider runs on 127.0.0.1 in a
thread (tests/identity_provider.py); the browser may reach nothing else."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from casework.choices import Role
from casework.models import ExternalIdentity
from casework.services import membership_grant
from tests.browser.conftest import assert_accessible
from tests.factories import municipality
from tests.identity_provider import local_provider

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(site, settings):
    with local_provider() as running:
        settings.OIDC_PROVIDERS = {
            "idporten": running.settings_for("idporten"),
            "ansattporten": running.settings_for("ansattporten"),
            "generic": {},
        }
        cache.clear()
        yield running
    cache.clear()


@pytest.fixture
def english_page(browser, site):
    context = browser.new_context()
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])

    def local_only(route):
        host = urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:  # the provider's page links a stylesheet on a CDN: no test talks to the internet
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _check(page):
    """axe at desktop width and at 320 px."""
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def _log_in_at_provider(page, sub):
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_new_person_logs_in_with_id_porten_and_is_told_how_to_get_access(
    site, provider, english_page
):
    page = english_page
    provider.set_user("browser-1", acr="idporten-loa-substantial", pid="01017012345")
    page.goto(site.url + "/logg-inn/")
    _check(page)

    page.get_by_role("link", name="Log in with ID-porten").click()
    _log_in_at_provider(page, "browser-1")

    page.wait_for_url(re.compile(r"/tilgang/$"))
    expect(page.get_by_role("heading", name="You have no access yet")).to_be_visible()
    assert "01017012345" not in page.content()
    _check(page)
    assert ExternalIdentity.objects.filter(subject="browser-1").exists()


def test_member_logs_in_reaches_their_applications_and_logs_out_of_both(
    site, provider, english_page
):
    page = english_page
    provider.set_user("browser-2", acr="idporten-loa-high", given_name="Siri", family_name="Li")
    page.goto(site.url + "/logg-inn/?next=/mine-soknader/")
    page.get_by_role("link", name="Log in with ID-porten").click()
    _log_in_at_provider(page, "browser-2")
    page.wait_for_url(re.compile(r"/tilgang/$"))
    user = ExternalIdentity.objects.get(subject="browser-2").user
    membership_grant(actor=None, user=user, organisation=municipality("3405"), role=Role.APPLICANT)
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.get_by_role("button", name="End session").click()  # the provider's logout page
    page.wait_for_url(re.compile(r"/logget-ut/$"))
    expect(page.get_by_role("heading", name="You are logged out")).to_be_visible()
    _check(page)

    page.goto(site.url + "/logg-inn/?next=/mine-soknader/")
    page.get_by_role("link", name="Log in with ID-porten").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.get_by_role("button", name="browser-2").first.click()  # the provider remembers them
    page.wait_for_url(re.compile(r"/mine-soknader/$"))
    expect(page.get_by_role("button", name="Log out (Siri Li)")).to_be_visible()


def test_a_login_below_substantial_is_refused_with_a_clear_page(site, provider, english_page):
    page = english_page
    provider.set_user("browser-3", acr="idporten-loa-low")
    page.goto(site.url + "/logg-inn/")
    page.get_by_role("link", name="Log in with ID-porten").click()
    _log_in_at_provider(page, "browser-3")

    page.wait_for_url(re.compile(r"/oidc/idporten/callback/"))
    expect(page.get_by_role("heading", name="Login refused")).to_be_visible()
    expect(page.get_by_text("too low a level of security")).to_be_visible()
    _check(page)
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
