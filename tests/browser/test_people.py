"""An organisation's administrator manages its people in the browser, with axe on every
page at desktop width and at 320 px: invites someone, who opens the emailed link, logs in
and accepts; the administrator sees them and takes the role away again."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from casework.choices import Role
from casework.models import Membership
from tests.background import run_due_tasks
from tests.browser.conftest import assert_accessible
from tests.factories import member, municipality

pytestmark = pytest.mark.browser

PASSWORD = "test-password-123"  # set by tests.factories.UserFactory


def _check(page):
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def _log_in(page, site, username, next_path):
    page.goto(f"{site.url}/logg-inn/?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def test_administrator_invites_a_colleague_who_accepts_and_loses_the_role_again(site, browser):
    lillehammer = municipality("3405")
    member(lillehammer, Role.ADMINISTRATOR, username="admin", first_name="Anne", last_name="A")
    colleague = member(municipality("1804"), Role.APPLICANT, username="colleague")
    context = browser.new_context()
    context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)

    _log_in(page, site, "admin", "/organisasjon/")
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    expect(page.get_by_role("heading", name=re.compile("People and access"))).to_be_visible()
    _check(page)

    page.get_by_role("button", name="Send invitation").click()  # empty: the error summary
    expect(page.get_by_role("alert")).to_be_visible()
    _check(page)
    page.get_by_label("Email address").fill("kollega@lillehammer.kommune.no")
    page.get_by_label(re.compile(r"^Role")).select_option("applicant")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    expect(page.get_by_role("cell", name="Applicant").first).to_be_visible()
    expect(page.get_by_text("kollega@lillehammer.kommune.no").first).to_be_visible()
    _check(page)

    run_due_tasks()  # the worker sends the invitation
    link = re.search(r"https?://\S+/invitasjon/\S+/", mail.outbox[-1].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.goto(site.url + path)
    _check(page)
    page.get_by_role("link", name="Log in with a local account").click()
    page.get_by_label("User name").fill("colleague")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/invitasjon/"))
    page.get_by_role("button", name="Accept the invitation").click()
    page.wait_for_url(site.url + "/")
    assert Membership.objects.filter(user=colleague, organisation=lillehammer).exists()

    page.get_by_role("button", name=re.compile("Log out")).click()
    _log_in(page, site, "admin", f"/organisasjon/{lillehammer.pk}/")
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    name = colleague.get_full_name()
    page.get_by_role("button", name=f"Take away Applicant from {name}").click()
    page.wait_for_url(re.compile(rf"/organisasjon/{lillehammer.pk}/$"))
    expect(page.get_by_text("The role has been taken away.")).to_be_visible()
    assert not Membership.objects.filter(user=colleague, organisation=lillehammer).exists()
    _check(page)
    context.close()
