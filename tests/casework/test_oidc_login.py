"""Logging in through an OIDC provider, over HTTP, against a real provider on 127.0.0.1.

Our side is Django's test client; the provider's side is plain HTTP to the provider running
in a thread (tests/identity_provider.py), which signs real ID tokens and enforces PKCE.
"""

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache

from casework.choices import Role
from casework.identity.providers import pid_digest
from casework.models import AuditEvent, ExternalIdentity, Membership
from casework.services import membership_grant
from tests.factories import member, municipality
from tests.identity_provider import CLIENT_ID, local_provider

PID = "01017012345"
SUBSTANTIAL = "idporten-loa-substantial"


@pytest.fixture
def provider(settings, db):
    with local_provider() as running:
        settings.OIDC_PROVIDERS = {
            "idporten": running.settings_for("idporten"),
            "ansattporten": running.settings_for("ansattporten"),
            "generic": {},
        }
        cache.clear()
        yield running
    cache.clear()


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def login_through(client, provider, sub, *, key="idporten", next_url=None):
    """Login page link → provider (the person picks ``sub``) → our callback; the callback's
    response."""
    start = client.get(f"/oidc/{key}/login/", {"next": next_url} if next_url else {})
    assert start.status_code == 302, start
    assert start["Location"].startswith(provider.url + "/oauth2/authorize?")
    answer = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == f"/oidc/{key}/callback/"
    return client.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})


def test_first_login_creates_an_account_without_rights_and_explains_how_to_get_access(
    client, provider
):
    provider.set_user(
        "person-1", acr=SUBSTANTIAL, pid=PID, given_name="Kari", family_name="Nordmann"
    )

    response = login_through(client, provider, "person-1")

    assert response.status_code == 302 and response["Location"] == "/tilgang/"
    page = client.get("/tilgang/")
    assert page.status_code == 200
    assert "identity/no_access.html" in [template.name for template in page.templates]
    assert list(page.context["memberships"]) == []
    identity = ExternalIdentity.objects.select_related("user").get(
        provider="idporten", subject="person-1"
    )
    user = identity.user
    assert (user.first_name, user.last_name) == ("Kari", "Nordmann")
    assert not user.has_usable_password()
    assert not Membership.objects.filter(user=user).exists()
    # The national identity number is kept only as a keyed digest, nowhere in clear.
    assert identity.pid_digest == pid_digest(PID) and PID not in identity.pid_digest
    assert PID not in str(get_user_model().objects.filter(pk=user.pk).values().get())
    for event in AuditEvent.objects.filter(actor=user) | AuditEvent.objects.filter(
        object_id=str(user.pk)
    ):
        assert PID not in str(event.data) + event.reason + event.object_repr
    assert PID not in page.content.decode()


def test_the_authorization_request_uses_pkce_state_nonce_and_asks_for_substantial(client, provider):
    provider.set_user("person-2", acr=SUBSTANTIAL)
    login_through(client, provider, "person-2")

    query = provider.authorize_queries[-1]
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["acr_values"] == SUBSTANTIAL
    token_request = provider.token_requests[-1]
    digest = hashlib.sha256(token_request["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]


def test_a_known_person_with_a_role_reaches_their_work(client, provider):
    provider.set_user("person-3", acr="idporten-loa-high")
    login_through(client, provider, "person-3")
    user = ExternalIdentity.objects.get(subject="person-3").user
    assert not Membership.objects.filter(user=user).exists()
    membership_grant(actor=None, user=user, organisation=municipality("3405"), role=Role.APPLICANT)
    client.logout()

    response = login_through(client, provider, "person-3", next_url="/mine-soknader/")

    assert response.status_code == 302 and response["Location"] == "/mine-soknader/"
    assert client.get("/mine-soknader/").status_code == 200
    assert ExternalIdentity.objects.filter(subject="person-3").count() == 1


def test_a_tampered_id_token_is_refused(client, provider):
    provider.set_user("person-4", acr=SUBSTANTIAL)
    provider.tamper = lambda payload: {**payload, "sub": "someone-else"}

    response = login_through(client, provider, "person-4")

    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()


def test_a_token_for_another_client_is_refused(client, provider):
    provider.set_user("person-5", acr=SUBSTANTIAL)
    provider.tamper = lambda payload: {**payload, "aud": "another-client"}

    assert login_through(client, provider, "person-5").status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_wrong_nonce_is_refused(client, provider):
    provider.set_user("person-6", acr=SUBSTANTIAL)
    start = client.get("/oidc/idporten/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    session = client.session
    session["oidc_states"][state]["nonce"] = "a-nonce-of-another-login"
    session.save()
    answer = requests.post(
        start["Location"], data={"sub": "person-6"}, allow_redirects=False, timeout=5
    )
    callback = urlsplit(answer.headers["Location"])

    response = client.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()


def test_a_state_this_browser_did_not_start_is_refused(client, provider):
    provider.set_user("person-7", acr=SUBSTANTIAL)
    start = client.get("/oidc/idporten/login/")
    answer = requests.post(
        start["Location"], data={"sub": "person-7"}, allow_redirects=False, timeout=5
    )
    callback = urlsplit(answer.headers["Location"])
    other_browser = client.__class__()
    other_browser.get("/oidc/idporten/login/")  # a login of its own, another state

    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    response = other_browser.get(callback.path, query)

    assert response.status_code == 403
    assert "_auth_user_id" not in other_browser.session


@pytest.mark.parametrize("acr", ["idporten-loa-low", "", "Level2"])
def test_a_login_below_substantial_gets_a_clear_refusal(client, provider, acr):
    provider.set_user("person-8", **({"acr": acr} if acr else {}))

    response = login_through(client, provider, "person-8")

    assert response.status_code == 403
    assert "too low a level of security" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(external_identities__subject="person-8").exists()


def test_an_expired_id_token_is_refused(client, settings, db):
    with local_provider(token_max_age=timedelta(minutes=-5)) as expired:
        settings.OIDC_PROVIDERS = {"idporten": expired.settings_for("idporten")}
        cache.clear()
        expired.set_user("person-9", acr=SUBSTANTIAL)

        response = login_through(client, expired, "person-9")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_logout_ends_the_session_here_and_at_the_provider(client, provider):
    provider.set_user("person-10", acr=SUBSTANTIAL)
    login_through(client, provider, "person-10")
    id_token = client.session["oidc_id_token"]
    assert client.get("/tilgang/").status_code == 200

    response = client.post("/logg-ut/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        provider.url + "/oauth2/end_session"
    )
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/logget-ut/"]
    ended = requests.get(response["Location"], timeout=5)
    assert ended.status_code == 200 and "/logget-ut/" in ended.text
    assert "_auth_user_id" not in client.session
    assert client.get("/tilgang/").status_code == 302
    assert client.get("/logget-ut/").status_code == 200


def test_the_logout_redirect_to_the_provider_is_allowed_by_the_content_security_policy(
    client, provider
):
    provider.set_user("person-11", acr=SUBSTANTIAL)
    login_through(client, provider, "person-11")

    policy = client.get("/").headers["Content-Security-Policy"]

    assert f"form-action 'self' {provider.url}" in policy


def test_the_login_page_offers_the_configured_providers_and_the_local_form(client, provider):
    page = client.get("/logg-inn/?next=/mine-soknader/").content.decode()

    assert 'href="/oidc/idporten/login/?next=/mine-soknader/"' in page.replace("%2F", "/")
    assert 'href="/oidc/ansattporten/login/' in page
    assert "/oidc/generic/login/" not in page
    assert 'name="password"' in page
    assert client.get("/oidc/generic/login/").status_code == 404


def test_ansattporten_grants_the_role_an_organisation_allowed_and_nothing_else(
    client, provider, settings
):
    wanted = '[{"type":"ansattporten:altinn:service","resource":"urn:altinn:resource:frikommune"}]'
    settings.OIDC_PROVIDERS["ansattporten"]["authorization_details"] = wanted
    lillehammer, bodo = municipality("3405"), municipality("1804")
    lillehammer.organisation_number, lillehammer.ansattporten_role = "940155223", Role.APPLICANT
    lillehammer.save()
    bodo.organisation_number = "972418013"  # known, but has not allowed it
    bodo.save()
    provider.set_user(
        "employee-1",
        acr=SUBSTANTIAL,
        authorization_details=[
            {
                "type": "ansattporten:altinn:service",
                "reportees": [
                    {"Authority": "iso6523-actorid-upis", "ID": "0192:940155223", "Name": "L"},
                    {"Authority": "iso6523-actorid-upis", "ID": "0192:972418013", "Name": "B"},
                ],
            }
        ],
    )

    response = login_through(client, provider, "employee-1", key="ansattporten")

    assert provider.authorize_queries[-1]["authorization_details"] == wanted

    user = ExternalIdentity.objects.get(provider="ansattporten", subject="employee-1").user
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [
        (lillehammer.pk, Role.APPLICANT)
    ]
    assert response["Location"] == "/"
    event = AuditEvent.objects.get(action="membership.granted", organisation=lillehammer)
    assert event.actor is None and "Ansattporten" in event.reason


def test_the_same_person_through_id_porten_and_ansattporten_has_one_account(client, provider):
    provider.set_user("idporten-sub", acr=SUBSTANTIAL, pid=PID)
    login_through(client, provider, "idporten-sub")
    client.logout()
    provider.set_user("ansattporten-sub", acr=SUBSTANTIAL, pid=PID)

    login_through(client, provider, "ansattporten-sub", key="ansattporten")

    identities = ExternalIdentity.objects.all()
    assert identities.count() == 2
    assert len({identity.user_id for identity in identities}) == 1


def test_a_local_account_still_logs_in_with_a_password(client, provider):
    member(municipality("3405"), Role.APPLICANT, username="lokal")

    response = client.post("/logg-inn/", {"username": "lokal", "password": "test-password-123"})

    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


def test_an_unreachable_provider_gets_a_clear_page_not_an_error(client, settings, db):
    with local_provider() as stopped:
        config = stopped.settings_for("idporten")
    settings.OIDC_PROVIDERS = {"idporten": config}  # its port is closed now
    cache.clear()

    response = client.get("/oidc/idporten/login/")

    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    cache.clear()


def test_explicit_endpoints_are_used_without_discovery(client, provider, settings):
    settings.OIDC_PROVIDERS["idporten"] = {
        **provider.settings_for("idporten"),
        "authorization_endpoint": provider.url + "/oauth2/authorize",
        "token_endpoint": provider.url + "/oauth2/token",
        "jwks_uri": provider.url + "/jwks",
        "end_session_endpoint": provider.url + "/oauth2/end_session",
    }
    provider.set_user("person-12", acr=SUBSTANTIAL)

    response = login_through(client, provider, "person-12")

    assert response.status_code == 302 and response["Location"] == "/tilgang/"
    assert "/.well-known/openid-configuration" not in provider.paths
    assert "/userinfo" not in provider.paths  # none configured: the ID token's claims only
