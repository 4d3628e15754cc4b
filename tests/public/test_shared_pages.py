"""The rendered public page is shared between anonymous readers, per version of the data
(casework.caching.shared_page): a write shows at once, and nothing personal is ever shared
(a logged-in header, a CSRF token, a session)."""

import re

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework.caching import SHARED_CSRF_PLACEHOLDER

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGES = ["/", "/soknader/", "/soknader/?q=skole", "/unntak/", "/statistikk/", "/journal/"]


def _token(response) -> str:
    tokens = set(TOKEN.findall(response.content.decode()))
    assert len(tokens) == 1
    return tokens.pop()


@pytest.mark.parametrize("page", PAGES)
def test_a_second_anonymous_reader_gets_the_kept_page_without_the_view(
    client, publish, page, django_assert_max_num_queries
):
    publish(title="Skoledag")
    first = client.get(page)
    with django_assert_max_num_queries(1, info=page):  # the validator only
        second = Client().get(page)
    assert second.status_code == 200
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == first["Cache-Control"] == "public, max-age=60"
    assert second["Vary"] == first["Vary"]
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())


def test_a_write_shows_on_the_next_request(client, publish):
    publish(title="Første skoledag")
    assert "Første skoledag" in client.get("/soknader/").content.decode()
    assert "Andre skoledag" not in Client().get("/soknader/").content.decode()
    publish(title="Andre skoledag")
    page = Client().get("/soknader/").content.decode()
    assert "Første skoledag" in page and "Andre skoledag" in page


def test_each_reader_gets_their_own_csrf_token(publish):
    publish()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page, second_page = first.get("/soknader/"), second.get("/soknader/")
    assert SHARED_CSRF_PLACEHOLDER not in second_page.content.decode()
    first_token, second_token = _token(first_page), _token(second_page)
    secrets = (first.cookies["csrftoken"].value, second.cookies["csrftoken"].value)
    assert secrets[0] != secrets[1]
    assert _unmask_cipher_token(first_token) == secrets[0]
    assert _unmask_cipher_token(second_token) == secrets[1]
    # The kept page's form works for the reader it was served to.
    answer = second.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": second_token})
    assert answer.status_code == 302


def test_a_logged_in_user_never_gets_the_anonymous_page(client, publish, applicant):
    publish()
    anonymous = Client().get("/soknader/").content.decode()
    assert "Log out" not in anonymous and "Logg ut" not in anonymous
    client.force_login(applicant)
    page = client.get("/soknader/")
    assert "Logg ut" in page.content.decode()
    assert "private" in page["Cache-Control"]
    # Nor does an anonymous reader get the logged-in user's page.
    again = Client().get("/soknader/").content.decode()
    assert "Logg ut" not in again
    assert applicant.get_full_name() not in again


def test_a_reader_with_a_session_gets_the_view_s_own_page(client, publish):
    publish()
    Client().get("/soknader/")
    session_reader = Client()
    session = session_reader.session
    session["seen"] = True
    session.save()
    with CaptureQueriesContext(connection) as queries:
        assert session_reader.get("/soknader/").status_code == 200
    assert len(queries) > 2  # the session, the validator and the view's own queries


def test_the_language_is_part_of_the_kept_page(publish):
    publish()
    assert 'lang="nb"' in Client().get("/soknader/").content.decode()
    english = Client()
    english.cookies["django_language"] = "en"
    assert 'lang="en"' in english.get("/soknader/").content.decode()
    assert 'lang="nb"' in Client().get("/soknader/").content.decode()


def test_the_public_api_lists_follow_the_data(client, publish):
    first = publish(title="Første skoledag")
    url = "/api/v1/public/applications/"
    assert [row["reference"] for row in client.get(url).json()["results"]] == [first.reference]
    second = publish(title="Andre skoledag")
    answer = client.get(url)
    assert {row["reference"] for row in answer.json()["results"]} == {
        first.reference,
        second.reference,
    }
    assert answer.json()["count"] == 2
    assert "X-RateLimit-Remaining" in answer
    assert client.get(url + "?status=nonsense").status_code == 400
