"""Bad input is a 400 with a message, never a server error, anonymous included.

PostgreSQL refuses NUL (0x00) in text and dates outside its range, so these tests are the
ones that matter on PostgreSQL; on SQLite they prove the same answers.
"""

import pytest
from rest_framework.test import APIClient

from tests.trials.test_api import detail

pytestmark = pytest.mark.django_db

BAD_QUERIES = [
    "/api/v1/public/applications/?year=0",
    "/api/v1/public/applications/?year=99999",
    "/api/v1/public/applications/?year=abc",
    "/api/v1/public/applications/?call=AAA",
    "/api/v1/public/applications/?q=sk%00ole",
    "/api/v1/public/exemptions/?q=sk%00ole",
    "/api/v1/public/journal/?number=2026%00",
    "/api/v1/public/journal/?date_from=0000-01-01",
    "/api/v1/legal/acts/?q=a%00b",
    "/api/v1/legal/provisions/?q=a%00b",
]


@pytest.mark.parametrize("url", BAD_QUERIES)
def test_a_bad_filter_is_a_400_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert response["Content-Type"] == "application/json"
    assert response.json()


@pytest.mark.parametrize("year", ["1992", "2026", "2999"])
def test_a_year_in_range_is_accepted(client, year):
    assert client.get("/api/v1/public/applications/", {"year": year}).status_code == 200


def test_a_nul_character_in_a_json_payload_is_a_400(applicant, make_draft):
    draft = make_draft()
    api = APIClient()
    api.force_authenticate(applicant)
    response = api.patch(
        detail(draft),
        {"purposes": [{"purpose": "democracy", "justification": "Meir\x00lokalt"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    draft.refresh_from_db()
    assert not draft.purposes.exists()


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/public/nothing/here/"])
def test_an_api_path_that_matches_nothing_answers_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_matches_nothing_is_still_a_page(client):
    response = client.get("/ingen-side-her/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
