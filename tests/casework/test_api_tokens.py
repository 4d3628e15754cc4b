"""API keys: stored as digests only, the REST API's token authentication, the
create_api_token command, the page where users manage their own key, and the admin."""

import datetime
import hashlib
import io
import re

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from casework.models import ApiKey, AuditEvent
from casework.services import api_key_mark_used, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

PAGE = "/api-nokkel/"
CREATE = "/api-nokkel/ny/"
REVOKE = "/api-nokkel/slett/"
APPLICATIONS = "/api/v1/applications/"
ADMIN = "/admin/casework/apikey/"

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip()


def get_with_key(key: str, path: str = APPLICATIONS):
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(path, HTTP_AUTHORIZATION=f"Token {key}")


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shown_key(response) -> str:
    """The key in the page's read-only field (there is one only right after creating)."""
    match = re.search(r'<input type="text" id="api-key" value="([^"]+)"', response.content.decode())
    assert match, "no key on the page"
    return match.group(1)


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


def apikey_updates(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "casework_apikey" in q["sql"]
    ]


# --- services -------------------------------------------------------------------------------


def test_only_the_digest_of_the_key_is_stored(user):
    issued = api_token_create(actor=user, user=user)
    assert len(issued.key) == 43  # secrets.token_urlsafe(32): 256 random bits
    row = ApiKey.objects.filter(user=user).values().get()
    assert row["digest"] == sha256(issued.key)
    assert row["prefix"] == issued.key[:8]
    assert issued.key not in str(row)
    assert issued.api_key.pk == row["id"]
    assert row["last_used_at"] is None


def test_every_key_is_new(user, make_user):
    other = make_user(username="andre")
    first = api_token_create(actor=None, user=user).key
    second = api_token_create(actor=None, user=other).key
    third = api_token_create(actor=None, user=user, replace=True).key
    assert len({first, second, third}) == 3


def test_create_when_a_key_exists_is_refused(user):
    issued = api_token_create(actor=user, user=user)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="You already have an API key") as refused,
    ):
        api_token_create(actor=user, user=user)
    assert refused.value.code == "exists"
    assert ApiKey.objects.get(user=user).digest == sha256(issued.key)
    assert audit_actions(user) == ["api_token.created"]


def test_replace_gives_a_new_key_and_shuts_out_the_old(user):
    old = api_token_create(actor=user, user=user)
    new = api_token_create(actor=user, user=user, replace=True)
    assert list(ApiKey.objects.filter(user=user).values_list("digest", flat=True)) == [
        sha256(new.key)
    ]
    assert get_with_key(old.key).status_code == 401
    assert get_with_key(new.key).status_code == 200
    replaced = AuditEvent.objects.filter(action="api_token.created").order_by("id").last()
    assert replaced.data["replaced"] is True
    assert replaced.data["replaced_prefix"] == old.key[:8]


def test_create_and_revoke_are_audited_without_the_key(user):
    issued = api_token_create(actor=user, user=user)
    assert api_token_revoke(actor=user, user=user) is True
    assert api_token_revoke(actor=user, user=user) is False
    assert audit_actions(user) == ["api_token.created", "api_token.revoked"]
    for event in AuditEvent.objects.filter(action__startswith="api_token."):
        recorded = str(event.data) + event.reason + event.object_repr
        assert issued.key not in recorded
        assert sha256(issued.key) not in recorded
        assert event.data["prefix"] == issued.key[:8]
        assert event.object_repr == "integrasjon"
        assert event.actor == user


def test_mark_used_writes_nothing_when_another_request_just_did(user):
    """Two requests with the same stale stamp at the same moment: only the first writes."""
    api_token_create(actor=None, user=user)
    first, second = ApiKey.objects.get(user=user), ApiKey.objects.get(user=user)
    assert api_key_mark_used(api_key=first, now=T0) is True
    assert api_key_mark_used(api_key=second, now=T0 + datetime.timedelta(seconds=1)) is False
    assert ApiKey.objects.get(user=user).last_used_at == T0


# --- the API --------------------------------------------------------------------------------


def test_the_key_authenticates_api_requests_as_its_user(user):
    issued = api_token_create(actor=user, user=user)
    assert APIClient().get(APPLICATIONS).status_code == 401
    response = get_with_key(issued.key)
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.wsgi_request.user == user
    assert response.wsgi_request.auth == issued.api_key


def test_a_wrong_key_gets_401(user):
    issued = api_token_create(actor=user, user=user)
    for key in ("not-a-real-key", issued.key[:-1], issued.key + "x", sha256(issued.key)):
        response = get_with_key(key)
        assert response.status_code == 401, key
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["detail"] == "Invalid token."


def test_a_malformed_header_gets_401(user):
    api_token_create(actor=user, user=user)
    for header in ("Token", "Token two words"):
        response = APIClient().get(APPLICATIONS, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_a_revoked_key_gets_401(user):
    issued = api_token_create(actor=user, user=user)
    assert get_with_key(issued.key).status_code == 200
    api_token_revoke(actor=user, user=user)
    response = get_with_key(issued.key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_an_inactive_users_key_gets_401(user):
    issued = api_token_create(actor=user, user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = get_with_key(issued.key)
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."
    assert ApiKey.objects.get(user=user).last_used_at is None


def test_last_used_is_set_on_first_use_and_at_most_hourly(user):
    issued = api_token_create(actor=user, user=user)
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as first:
        assert get_with_key(issued.key).status_code == 200
    assert ApiKey.objects.get(user=user).last_used_at == T0
    assert len(apikey_updates(first.captured_queries)) == 1

    within = T0 + datetime.timedelta(minutes=59)
    with time_machine.travel(within, tick=False), CaptureQueriesContext(connection) as again:
        assert get_with_key(issued.key).status_code == 200
    assert ApiKey.objects.get(user=user).last_used_at == T0
    assert apikey_updates(again.captured_queries) == []

    later = T0 + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(later, tick=False):
        assert get_with_key(issued.key).status_code == 200
    assert ApiKey.objects.get(user=user).last_used_at == later


def test_a_wrong_key_stamps_nothing(user):
    api_token_create(actor=user, user=user)
    assert get_with_key("not-a-real-key").status_code == 401
    assert ApiKey.objects.get(user=user).last_used_at is None


# --- command --------------------------------------------------------------------------------


def test_command_prints_a_key_that_works(user):
    key = run("integrasjon")
    assert len(key) == 43
    assert ApiKey.objects.get(user=user).digest == sha256(key)
    assert audit_actions(user) == ["api_token.created"]
    assert AuditEvent.objects.get(action="api_token.created").actor is None
    response = get_with_key(key)
    assert response.status_code == 200
    assert response.wsgi_request.user == user


def test_command_refuses_to_replace_a_key_without_rotate(user):
    key = run("integrasjon")
    with pytest.raises(CommandError, match="--rotate"):
        run("integrasjon")
    assert ApiKey.objects.get(user=user).digest == sha256(key)
    assert get_with_key(key).status_code == 200


def test_command_rotates_a_key(user):
    old = run("integrasjon")
    new = run("integrasjon", "--rotate")
    assert new != old
    assert list(ApiKey.objects.filter(user=user).values_list("digest", flat=True)) == [sha256(new)]
    assert audit_actions(user) == ["api_token.created", "api_token.created"]
    assert get_with_key(old).status_code == 401
    assert get_with_key(new).status_code == 200


def test_command_refuses_unknown_and_inactive_users(make_user):
    with pytest.raises(CommandError, match="No user"):
        run("nobody")
    make_user(username="sluttet", is_active=False)
    with pytest.raises(CommandError, match="not active"):
        run("sluttet")
    assert not ApiKey.objects.exists()


# --- page -----------------------------------------------------------------------------------


def test_page_needs_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.LOGIN_URL and '/logg-inn/'}")
    assert client.post(CREATE).status_code == 302
    assert not ApiKey.objects.exists()


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
    key = shown_key(response)
    assert ApiKey.objects.get(user=user).digest == sha256(key)
    assert "no-store" in response["Cache-Control"]
    assert audit_actions(user) == ["api_token.created"]
    assert get_with_key(key).status_code == 200

    again = logged_in.get(PAGE)
    html = again.content.decode()
    assert key not in html
    assert "You have an API key." in html
    assert f"<code>{key[:8]}…</code>" in html
    assert 'action="/api-nokkel/slett/"' in html


def test_page_shows_prefix_created_and_last_used(logged_in, user):
    with time_machine.travel(T0, tick=False):
        issued = api_token_create(actor=user, user=user)
    html = logged_in.get(PAGE).content.decode()
    assert f"<code>{issued.key[:8]}…</code>" in html
    assert f'datetime="{timezone.localtime(T0).isoformat()}"' in html
    assert "Not used yet" in html
    assert issued.key not in html

    used = T0 + datetime.timedelta(days=2)
    with time_machine.travel(used, tick=False):
        get_with_key(issued.key)
    html = logged_in.get(PAGE).content.decode()
    assert f'datetime="{timezone.localtime(used).isoformat()}"' in html
    assert "Not used yet" not in html


def test_create_when_a_key_exists_keeps_the_old_one(logged_in, user):
    issued = api_token_create(actor=user, user=user)
    response = logged_in.post(CREATE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    html = response.content.decode()
    assert "You already have an API key. Revoke it before you create a new one." in html
    assert issued.key not in html
    assert 'id="api-key"' not in html
    assert ApiKey.objects.get(user=user).digest == sha256(issued.key)
    assert audit_actions(user) == ["api_token.created"]


def test_revoke(logged_in, user):
    issued = api_token_create(actor=user, user=user)
    response = logged_in.post(REVOKE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your API key is revoked." in response.content.decode()
    assert not ApiKey.objects.filter(user=user).exists()
    assert audit_actions(user) == ["api_token.created", "api_token.revoked"]
    assert get_with_key(issued.key).status_code == 401


def test_create_and_revoke_are_post_only(logged_in, user):
    assert logged_in.get(CREATE).status_code == 405
    assert logged_in.get(REVOKE).status_code == 405
    assert not ApiKey.objects.exists()


def test_create_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(CREATE).status_code == 403
    assert not ApiKey.objects.exists()


# --- admin ----------------------------------------------------------------------------------


def test_admin_lists_keys_read_only_without_the_digest(superuser_client, user):
    issued = api_token_create(actor=None, user=user)
    api_key = issued.api_key
    listing = superuser_client.get(ADMIN)
    assert listing.status_code == 200
    assert issued.key[:8] in listing.content.decode()
    assert superuser_client.get(f"{ADMIN}add/").status_code == 403
    change = superuser_client.get(f"{ADMIN}{api_key.pk}/change/")
    assert change.status_code == 200
    html = change.content.decode()
    assert api_key.digest not in html
    assert issued.key not in html
    assert 'name="prefix"' not in html  # nothing editable
    superuser_client.post(f"{ADMIN}{api_key.pk}/change/", {"prefix": "hacked"})
    assert ApiKey.objects.get(pk=api_key.pk).prefix == issued.key[:8]


def test_admin_delete_revokes_through_the_service(superuser_client, superuser, user):
    issued = api_token_create(actor=None, user=user)
    response = superuser_client.post(
        f"{ADMIN}{issued.api_key.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    assert audit_actions(user) == ["api_token.created", "api_token.revoked"]
    assert AuditEvent.objects.get(action="api_token.revoked").actor == superuser
    assert get_with_key(issued.key).status_code == 401


def test_admin_bulk_delete_revokes_through_the_service(superuser_client, make_user):
    users = [make_user(username=f"system{n}") for n in range(2)]
    for owner in users:
        api_token_create(actor=None, user=owner)
    response = superuser_client.post(
        ADMIN,
        {
            "action": "delete_selected",
            "_selected_action": list(ApiKey.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 2
