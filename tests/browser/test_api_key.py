"""The API key page in a real browser, with axe: a municipal adviser creates a key for the
municipality's system, sees it once, comes back to see when it was made, and revokes it."""

import re

import pytest
from playwright.sync_api import expect

from casework.choices import Role
from casework.models import ApiKey
from tests.browser.conftest import assert_accessible
from tests.factories import member, municipality

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def test_create_see_once_and_revoke_an_api_key(site, browser):
    user = member(municipality("3405"), Role.APPLICANT, username="siri")
    context = browser.new_context()
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(site.url + "/logg-inn/?next=/api-nokkel/")
    page.get_by_label("User name").fill("siri")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/api-nokkel/$"))
    assert_accessible(page)

    page.get_by_role("button", name="Create API key").click()
    key = page.get_by_label("API key").input_value()
    assert len(key) >= 40
    stored = ApiKey.objects.get(user=user)
    assert stored.digest == ApiKey.digest_for(key) and key not in stored.digest
    assert_accessible(page)

    page.goto(site.url + "/api-nokkel/")  # the key is never shown again
    assert key not in page.content()
    assert key[:8] in page.content()
    expect(page.get_by_text("Not used yet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Revoke API key").click()
    page.wait_for_url(re.compile(r"/api-nokkel/$"))
    expect(page.get_by_text("Your API key is revoked")).to_be_visible()
    assert not ApiKey.objects.filter(user=user).exists()
    assert_accessible(page)
    context.close()
