"""Local accounts (development, the demo, the break-glass administrator), hardened: lockout
after repeated failures per account and per address, Django's password rules, a new session
key at login, idle and absolute session timeouts."""

import time

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError

from casework.choices import Role
from casework.models import AuditEvent
from tests.factories import member, municipality

pytestmark = pytest.mark.django_db
PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def _fresh_counts(client):
    cache.clear()
    client.cookies["django_language"] = "en"
    yield
    cache.clear()


@pytest.fixture
def kari(db):
    return member(municipality("3405"), Role.APPLICANT, username="kari")


def _login(client, username, password, address="192.0.2.10"):
    return client.post(
        "/logg-inn/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_an_account_is_locked_out_after_five_failures_even_with_the_right_password(
    client, kari, settings
):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert _login(client, "kari", "wrong").status_code == 200

    refused = _login(client, "kari", PASSWORD, address="198.51.100.7")

    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="login.locked_out")
    assert event.object_id == str(kari.pk)
    # Another account from the same address is not locked by Kari's lockout.
    member(municipality("3405"), Role.APPLICANT, username="ola")
    assert _login(client, "ola", PASSWORD, address="198.51.100.7").status_code == 302


def test_the_lockout_ends(client, kari, settings):
    settings.LOGIN_LOCKOUT_SECONDS = 3  # the cache (locmem or Redis) expires the count
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _login(client, "kari", "wrong")
    assert _login(client, "kari", PASSWORD).status_code == 429
    time.sleep(3.2)
    assert _login(client, "kari", PASSWORD).status_code == 302


def test_an_address_trying_many_accounts_is_locked_out(client, kari, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    for number in range(6):
        _login(client, f"guess{number}", "wrong", address="203.0.113.9")

    assert _login(client, "kari", PASSWORD, address="203.0.113.9").status_code == 429
    assert _login(client, "kari", PASSWORD, address="203.0.113.10").status_code == 302


def test_a_success_clears_the_account_count(client, kari, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        _login(client, "kari", "wrong")
    assert _login(client, "kari", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        _login(client, "kari", "wrong")
    assert _login(client, "kari", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client, settings):
    member(municipality("3405"), Role.ADMINISTRATOR, username="root", is_staff=True)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_passwords_follow_djangos_rules():
    for weak in ["short1", "123456789012345", "abc12345"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("riktig hest batteri stift")


def test_login_gives_a_new_session_key(client, kari):
    client.get("/logg-inn/")
    client.session.save()
    before = client.session.session_key
    _login(client, "kari", PASSWORD)
    assert client.session.session_key != before


def test_an_idle_session_ends(client, kari, settings):
    settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT = 3600, 43200
    _login(client, "kari", PASSWORD)
    assert client.get("/api-nokkel/").status_code == 200
    with time_machine.travel(time.time() + settings.SESSION_IDLE_TIMEOUT + 61):
        response = client.get("/api-nokkel/")
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/")


def test_a_used_session_ends_at_the_absolute_limit(client, kari, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    settings.SESSION_ABSOLUTE_TIMEOUT = 1500
    _login(client, "kari", PASSWORD)
    start = time.time()
    client.get("/api-nokkel/")
    for minutes in (8, 16, 24):  # never idle for ten minutes
        with time_machine.travel(start + minutes * 60):
            assert client.get("/api-nokkel/").status_code == 200
    with time_machine.travel(start + 26 * 60):
        assert client.get("/api-nokkel/").status_code == 302
