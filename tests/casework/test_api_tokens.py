"""API keys: the create_api_token command and the page where users manage their own key."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from casework.models import AuditEvent
from casework.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

PAGE = "/api-nokkel/"
CREATE = "/api-nokkel/ny/"
REVOKE = "/api-nokkel/slett/"


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def user(make_user):
    return make_user(username="integrasjon")


@pytest.fixture
def logged_in(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def audit_actions(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(user.pk), action__startswith="api_token.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- services -------------------------------------------------------------------------------


def test_create_and_revoke_are_audited_without_the_key(user):
    token = api_token_create(actor=user, user=user)
    assert api_token_revoke(actor=user, user=user) is True
    assert api_token_revoke(actor=user, user=user) is False
    assert audit_actions(user) == ["api_token.created", "api_token.revoked"]
    for event in AuditEvent.objects.filter(action__startswith="api_token."):
        assert token.key not in str(event.data)
        assert event.object_repr == "integrasjon"


# --- command --------------------------------------------------------------------------------


def test_command_prints_a_new_key(user):
    key = run("integrasjon")
    assert Token.objects.get(user=user).key == key
    assert len(key) == 40
    assert audit_actions(user) == ["api_token.created"]
    assert AuditEvent.objects.get(action="api_token.created").actor is None


def test_command_refuses_to_replace_a_key_without_rotate(user):
    key = run("integrasjon")
    with pytest.raises(CommandError, match="--rotate"):
        run("integrasjon")
    assert Token.objects.get(user=user).key == key


def test_command_rotates_a_key(user):
    old = run("integrasjon")
    new = run("integrasjon", "--rotate")
    assert new != old
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [new]
    assert audit_actions(user) == ["api_token.created", "api_token.created"]


def test_command_refuses_unknown_and_inactive_users(make_user):
    with pytest.raises(CommandError, match="No user"):
        run("nobody")
    make_user(username="sluttet", is_active=False)
    with pytest.raises(CommandError, match="not active"):
        run("sluttet")
    assert not Token.objects.exists()


# --- page -----------------------------------------------------------------------------------


def test_page_needs_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.LOGIN_URL and '/logg-inn/'}")
    assert client.post(CREATE).status_code == 302
    assert not Token.objects.exists()


def test_page_offers_to_create_a_key(logged_in):
    response = logged_in.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no API key." in html
    assert 'action="/api-nokkel/ny/"' in html
    assert "csrfmiddlewaretoken" in html


def test_create_shows_the_key_once(logged_in, user):
    response = logged_in.post(CREATE)
    assert response.status_code == 200
    key = Token.objects.get(user=user).key
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert audit_actions(user) == ["api_token.created"]

    again = logged_in.get(PAGE)
    assert key not in again.content.decode()
    assert "You have an API key" in again.content.decode()
    assert 'action="/api-nokkel/slett/"' in again.content.decode()


def test_create_when_a_key_exists_keeps_the_old_one(logged_in, user):
    token = api_token_create(actor=user, user=user)
    response = logged_in.post(CREATE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    html = response.content.decode()
    assert "You already have an API key." in html
    assert token.key not in html
    assert Token.objects.get(user=user).key == token.key


def test_revoke(logged_in, user):
    api_token_create(actor=user, user=user)
    response = logged_in.post(REVOKE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your API key is revoked." in response.content.decode()
    assert not Token.objects.filter(user=user).exists()
    assert audit_actions(user) == ["api_token.created", "api_token.revoked"]


def test_create_and_revoke_are_post_only(logged_in, user):
    assert logged_in.get(CREATE).status_code == 405
    assert logged_in.get(REVOKE).status_code == 405
    assert not Token.objects.exists()


def test_create_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(CREATE).status_code == 403
    assert not Token.objects.exists()
